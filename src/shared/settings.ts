/**
 * How messages name a setting the person can change. Messages made in core and shared are shown by the app, its
 * reports and the CLI alike, so they name the setting as the app's forms label it, in curly quotes: “Maximum time”,
 * the size “H”, the input value “sr”. The CLI turns exactly these phrases into its flags (src/cli/words.ts), so
 * the app never shows a flag and the CLI never names a form field. Build every such phrase with the functions
 * below, never by hand.
 */

/** The settings a message can point to, by the label of the app's field (the CLI keeps their flags: src/cli/words.ts). */
export const SETTINGS = {
  inputValues: 'Input values',
  inputTensors: 'Your own input tensors',
  providers: 'Execution providers',
  concurrency: 'Parallel requests',
  maxTime: 'Maximum time',
  minIterations: 'Minimum runs',
  latencyTarget: 'Latency target',
  throughput: 'Sustained throughput',
  batchDelay: 'Longest wait to fill a batch',
  cpuPrice: 'CPU machine',
  gpuPrice: 'GPU machine',
  electricity: 'Electricity',
  evaluationData: 'Evaluation data',
  quantizeLstm: 'Quantize LSTMs',
  repetitions: 'Repetitions',
} as const;

export type SettingId = keyof typeof SETTINGS;

function example(value: string | undefined): string {
  return value === undefined ? '' : ` (e.g. ${value})`;
}

/** “Maximum time”, or “Parallel requests” (e.g. 1,2,4,8) with an example value. CLI: --max-time, --concurrency 1,2,4,8. */
export function setting(id: SettingId, value?: string): string {
  return `“${SETTINGS[id]}”${example(value)}`;
}

/** The size “H” (a symbolic dimension), or the size “H” (e.g. 128). CLI: --dim H=VALUE, --dim H=128. */
export function dimSetting(name: string, value?: string): string {
  return `the size “${name}”${example(value)}`;
}

/** The input value “sr”, or the input value “sr” (e.g. 16000). CLI: --input sr=VALUE, --input sr=16000. */
export function inputSetting(name: string, value?: string): string {
  return `the input value “${name}”${example(value)}`;
}

/** “a”, “a and b”, “a, b and c”. */
export function listWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
