/**
 * File operations the hosts do on a request's behalf: names from documents, requests and models
 * stay inside their folder, and nothing waits on the file system forever.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isPlainFileName } from '../../shared/domain/file-name';
import { InferscopeError } from '../../shared/errors';
import { ioError } from './atomic';

/** The longest a file operation done for a request may take before the request gets an error. */
export const REQUEST_IO_DEADLINE_MS = 2_000;

/**
 * The path of `name` inside `dir`, or PATH_NOT_ALLOWED: `name` must be a plain base name and the
 * resolved path must stay under `dir`.
 */
export function fileUnder(dir: string, name: string, what: string): string {
  const root = path.resolve(dir);
  const file = path.resolve(root, name);
  if (!isPlainFileName(name) || path.dirname(file) !== root) {
    throw new InferscopeError(
      'PATH_NOT_ALLOWED',
      `${what} has the file name "${name.slice(0, 80)}", which is not a plain file name in its folder.`,
    );
  }
  return file;
}

/** Like fileUnder, and the file itself (after following links) is inside `dir` too. */
export async function realFileUnder(dir: string, name: string, what: string): Promise<string> {
  const file = fileUnder(dir, name, what);
  const [realDir, realFile] = await Promise.all([fs.realpath(dir), fs.realpath(file)]);
  if (path.dirname(realFile) !== realDir) {
    throw new InferscopeError('PATH_NOT_ALLOWED', `${what} (${name}) links to a file outside its folder.`);
  }
  return realFile;
}

/**
 * Settles with the operation, or with IO_ERROR after `ms` (the operation itself may go on in the
 * background; Node cannot cancel a file system call).
 */
export function withDeadline<T>(operation: Promise<T>, what: string, ms = REQUEST_IO_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new InferscopeError('IO_ERROR', `${what} did not finish within ${(ms / 1000).toFixed(0)} s; the file system did not answer.`));
    }, ms);
  });
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}

/** Folders created for one path at most: deeper trees are a mistake, not a data folder. */
const MAX_NEW_FOLDERS = 16;

/**
 * `mkdir -p` that always ends: Node's recursive mkdir loops forever on some paths (under /proc,
 * for one). Walks up to the first folder that exists, then creates each level once.
 */
export async function ensureDir(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    const stat = await fs.stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw ioError(error, current);
    });
    if (stat?.isDirectory()) break;
    if (stat) throw new InferscopeError('IO_ERROR', `Could not create ${dir}: ${current} is a file, not a folder.`);
    const parent = path.dirname(current);
    if (parent === current || missing.length >= MAX_NEW_FOLDERS) {
      throw new InferscopeError('IO_ERROR', `Could not create ${dir}: too many missing folders above it.`);
    }
    missing.push(current);
    current = parent;
  }
  for (const folder of missing.reverse()) {
    await fs.mkdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw ioError(error, folder);
    });
  }
}
