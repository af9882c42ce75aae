import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InferscopeError } from '../../shared/errors';
import { ensureDir } from './safe-fs';

/** Maps filesystem failures to the codes the UI and CLI understand (a full disk must say so). */
export function ioError(error: unknown, what: string): InferscopeError {
  if (error instanceof InferscopeError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new InferscopeError('DISK_FULL', `The disk is full: could not write ${what}`, { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new InferscopeError('IO_ERROR', `Could not write ${what}: ${reason}`, { cause: error });
}

/**
 * Writes a file so that readers see either the old or the new content, never a torn one:
 * temp file in the same folder, fsync, rename. A failed write removes its temp file.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await ensureDir(dir);
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw ioError(error, target);
  }
}

/** Reads and parses a JSON file; a missing file gives `fallback`, a corrupt one too (it is rewritten on next save). */
export async function readJsonFile<T>(file: string, parse: (value: unknown) => T, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw error;
  }
  try {
    return parse(JSON.parse(text));
  } catch {
    return fallback;
  }
}
