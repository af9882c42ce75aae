/**
 * Sessions with ONNX Runtime's profiler on. onnxruntime-node writes the trace to
 * `<profileFilePrefix>_<timestamp>.json` and does not say the name, so each profiled
 * session gets its own temporary directory and we read whatever JSON lands there.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeFileAtomic } from '../core/store/atomic';

export interface ProfiledSession {
  session: ort.InferenceSession;
  /** Ends profiling, returns the parsed trace (kept at `keepAs` where it can be written) and removes the file. Call once. */
  takeTrace(keepAs?: string): Promise<unknown>;
  /** Releases the session and removes the temporary directory (also after a failed takeTrace). */
  close(): Promise<void>;
}

export async function createProfiledSession(
  model: Uint8Array | string,
  options: ort.InferenceSession.SessionOptions,
): Promise<ProfiledSession> {
  const dir = await mkdtemp(path.join(tmpdir(), 'inferscope-profile-'));
  let session: ort.InferenceSession;
  try {
    const sessionOptions = { ...options, enableProfiling: true, profileFilePrefix: path.join(dir, 'trace') };
    session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let released = false;
  return {
    session,
    async takeTrace(keepAs?: string) {
      session.endProfiling();
      const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
      const file = files[0];
      if (!file) throw new Error('ONNX Runtime wrote no profiling trace');
      const text = await readFile(path.join(dir, file), 'utf8');
      if (keepAs) await keepTrace(text, keepAs);
      return JSON.parse(text) as unknown;
    },
    async close() {
      if (!released) {
        released = true;
        await session.release();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Keeps a copy of the trace for the user, whole or not at all: a trace that cannot be written (a
 * full disk) costs only the file, never the placement summarised from it. The host offers the
 * trace only where the file exists.
 */
async function keepTrace(text: string, file: string): Promise<void> {
  try {
    await writeFileAtomic(file, text);
  } catch (error) {
    // The file system's own words (ENOSPC: no space left on device), not the wrapper's.
    const fault = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = fault instanceof Error ? fault.message : String(fault);
    process.stderr.write(`inferscope worker: could not keep the profiling trace ${file}: ${reason}\n`);
  }
}
