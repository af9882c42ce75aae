/**
 * Giving memory back between the steps of a job. A quantization job holds the model file's bytes
 * while it transforms, then loads onnxruntime sessions of the original and the variant; without a
 * full collection in between, the dead file buffer (as large as the model) would still be
 * resident when the sessions load, and peak memory would be the sum of all three.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let collect: (() => void) | null | undefined;

/**
 * A full garbage collection now. V8 only offers it behind --expose-gc; like jest's leak
 * detector, the flag is switched on just long enough to fetch `gc` from a fresh context.
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (typeof existing === 'function') collect = existing;
    else {
      try {
        v8.setFlagsFromString('--expose-gc');
        collect = vm.runInNewContext('gc') as () => void;
        v8.setFlagsFromString('--no-expose-gc');
      } catch {
        collect = null;
      }
    }
  }
  collect?.();
}

const SETTLE_POLL_MS = 5;
const SETTLE_QUIET_POLLS = 3;
const SETTLE_MAX_MS = 250;

/**
 * A full collection, then a short wait while V8 hands the freed buffers back: their memory is
 * released by background tasks some milliseconds after the collection, so a session created at
 * once would still find them resident.
 */
export async function releaseMemory(): Promise<void> {
  collectGarbage();
  const started = Date.now();
  let lowest = process.memoryUsage.rss();
  let quiet = 0;
  while (quiet < SETTLE_QUIET_POLLS && Date.now() - started < SETTLE_MAX_MS) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    const rss = process.memoryUsage.rss();
    if (rss < lowest) {
      lowest = rss;
      quiet = 0;
    } else quiet++;
  }
}

/**
 * Bytes fields of a decoded model (raw_data, string_data, attribute strings, unknown fields) are
 * views into the file's buffer, which stays alive as long as any of them does. After a
 * transformation most of the big ones are new arrays; copying the few views left lets the
 * whole file buffer go. Visits every object reachable from `root` once.
 */
function walkBytes(root: object, visit: (bytes: Uint8Array, replace: (copy: Uint8Array) => void) => void): void {
  const seen = new Set<object>();
  const stack: object[] = [root];
  const consider = (value: unknown, replace: (copy: Uint8Array) => void): void => {
    if (value instanceof Uint8Array) visit(value, replace);
    else if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !seen.has(value)) {
      seen.add(value);
      stack.push(value);
    }
  };
  while (stack.length > 0) {
    const current = stack.pop() as Record<string, unknown> | unknown[];
    if (Array.isArray(current)) {
      current.forEach((item, i) => consider(item, (copy) => (current[i] = copy)));
      continue;
    }
    for (const key of Object.keys(current)) consider(current[key], (copy) => (current[key] = copy));
    const unknowns = (current as { $unknowns?: unknown }).$unknowns;
    if (Array.isArray(unknowns)) consider(unknowns, () => undefined);
  }
}

/** How many bytes of `model` still live in `buffer`. */
export function bytesViewing(model: object, buffer: ArrayBufferLike): number {
  let total = 0;
  walkBytes(model, (bytes) => {
    if (bytes.buffer === buffer) total += bytes.byteLength;
  });
  return total;
}

/** Replaces every view into `buffer` inside `model` by a copy (the objects are changed in place). */
export function detachFromBuffer(model: object, buffer: ArrayBufferLike): void {
  walkBytes(model, (bytes, replace) => {
    if (bytes.buffer === buffer) replace(bytes.slice());
  });
}
