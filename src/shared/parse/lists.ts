/**
 * The lists a person types, read one way in the app's forms and on the command line:
 * "1, 2,4" for batch sizes, threads and concurrency; "a, b" or one per line for node names.
 */

/** What the threads field and `--threads` accept for onnxruntime's own choice (stored as 0). */
export const DEFAULT_THREADS_TEXT = 'default';

export type ListParse = { ok: true; values: number[] } | { ok: false; error: string };

/**
 * "1, 2,4" → [1, 2, 4], sorted and without repeats (as the plan schema stores them).
 * With `allowDefault`, "default" reads as 0 and 0 itself is allowed (threads).
 */
export function parseIntList(text: string, options: { allowDefault?: boolean } = {}): ListParse {
  const parts = text
    .split(/[,\s]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) return { ok: false, error: 'Enter at least one value' };
  const values: number[] = [];
  for (const part of parts) {
    if (options.allowDefault && part.toLowerCase() === DEFAULT_THREADS_TEXT) {
      values.push(0);
      continue;
    }
    const value = Number(part);
    const smallest = options.allowDefault ? 0 : 1;
    if (!/^\d+$/.test(part) || !Number.isSafeInteger(value) || value < smallest) {
      return {
        ok: false,
        error: options.allowDefault ? `“${part}” is not a whole number or “default”` : `“${part}” is not a whole number of 1 or more`,
      };
    }
    values.push(value);
  }
  return { ok: true, values: [...new Set(values)].sort((a, b) => a - b) };
}

/** "a, b\nc" → ["a", "b", "c"] without repeats: node and operator names never hold commas or line breaks. */
export function parseNameList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,\n]/)
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  ];
}
