/**
 * Sample files on disk. They are generated on first use into a directory the host chooses
 * (the user data directory), never shipped. A file is written atomically (writeFileAtomic),
 * so a crash mid-write can never leave a half model under the real name.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InferscopeError } from '../../shared/errors';
import { writeFileAtomic } from '../store/atomic';
import { buildSampleBytes, getSampleDefinition, sampleFileName } from './catalog';

/** Generations in progress, so concurrent requests for one sample share one write. */
const pending = new Map<string, Promise<string>>();

/** Path to the sample's .onnx file in `dir`, generating it if it is missing. */
export function ensureSample(name: string, dir: string): Promise<string> {
  let definition;
  try {
    definition = getSampleDefinition(name);
  } catch (error) {
    return Promise.reject(error);
  }
  const file = join(dir, sampleFileName(definition));
  const inFlight = pending.get(file);
  if (inFlight) return inFlight;
  const work = reuseOrGenerate(name, dir, file).finally(() => pending.delete(file));
  pending.set(file, work);
  return work;
}

async function reuseOrGenerate(name: string, dir: string, file: string): Promise<string> {
  try {
    const existing = await stat(file).catch(() => undefined);
    if (existing?.isFile() && existing.size > 0) return file;
    // Before building the model: a folder that cannot be made fails without that cost.
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(file, buildSampleBytes(name)).catch((error: unknown) => {
      // The file system's error, to be reported below as a sample that could not be written.
      throw error instanceof InferscopeError && error.cause !== undefined ? error.cause : error;
    });
    await removeOtherVersions(name, dir, file);
    return file;
  } catch (error) {
    if (error instanceof InferscopeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InferscopeError(code === 'ENOSPC' ? 'DISK_FULL' : 'IO_ERROR', `Could not write the sample model "${name}" to ${dir}.`, {
      detail: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
}

/** Files of older builder versions of this sample are dead weight once the current one exists. */
async function removeOtherVersions(name: string, dir: string, current: string): Promise<void> {
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-v\\d+\\.onnx$`);
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    const path = join(dir, entry);
    if (pattern.test(entry) && path !== current) await rm(path, { force: true }).catch(() => undefined);
  }
}
