/**
 * The CLI's words for settings. Messages made in core and shared name a setting as the app's forms do
 * (“Maximum time”, the size “H”, see src/shared/settings.ts); everything the CLI prints for people goes through
 * cliWords, which turns exactly those phrases into the flags a command takes (--max-time, --dim H=VALUE).
 */
import { SETTINGS, type SettingId } from '../shared/settings';

/** Each setting's flag, with its argument where the flag needs one. */
export const FLAGS: Record<SettingId, string> = {
  inputValues: '--input NAME=VALUE',
  inputTensors: '--inputs DIR',
  providers: '--ep',
  concurrency: '--concurrency',
  maxTime: '--max-time',
  minIterations: '--min-iterations',
  latencyTarget: '--latency',
  throughput: '--throughput',
  batchDelay: '--batch-delay',
  cpuPrice: '--price cpu=…/h',
  gpuPrice: '--price gpu=…/h',
  electricity: '--electricity',
  evaluationData: '--calibration DIR, --calibration-images DIR or --calibration-audio DIR',
  quantizeLstm: '--lstm',
  repetitions: '--repetitions',
};

const EXAMPLE = String.raw`(?: \(e\.g\. ([^()]*)\))?`;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A flag with an example value: "--concurrency" and "1,2,4,8" → "--concurrency 1,2,4,8"; the value replaces a placeholder. */
function flagWith(flag: string, value: string | undefined): string {
  if (value === undefined) return flag;
  return `${flag.split(' ')[0]} ${value}`;
}

type Rule = readonly [RegExp, (match: string, ...groups: (string | undefined)[]) => string];

const RULES: readonly Rule[] = [
  [new RegExp(String.raw`the size “([^”]+)”${EXAMPLE}`, 'g'), (_m, name, value) => `--dim ${name}=${value ?? 'VALUE'}`],
  [new RegExp(String.raw`the input value “([^”]+)”${EXAMPLE}`, 'g'), (_m, name, value) => `--input ${name}=${value ?? 'VALUE'}`],
  ...(Object.keys(SETTINGS) as SettingId[]).map((id): Rule => [
    new RegExp(`“${escape(SETTINGS[id])}”${EXAMPLE}`, 'g'),
    (_m, value) => flagWith(FLAGS[id], value),
  ]),
];

/** The text with every setting named as the CLI takes it. */
export function cliWords(text: string): string {
  return RULES.reduce((out, [pattern, replace]) => out.replace(pattern, replace), text);
}
