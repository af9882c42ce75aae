/**
 * Values for inputs that must not be random data (docs/measurement.md#inputs): a sample rate that
 * must be 16000, a recurrent state that starts at zero, an attention mask of ones. Given as
 * `NAME=VALUE` on the command line (`--input`) and in the app's forms; read here, one way for both.
 * Well-known input names get a stated default; an integer scalar without one must be given.
 */
import { z } from 'zod';
import { inputSetting, listWords } from '../settings';

/** How one input's data is made. `file` is a .npy or ONNX .pb tensor the host reads. */
export const InputValueSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('number'), value: z.number() }),
  z.object({ kind: z.literal('zeros') }),
  z.object({ kind: z.literal('ones') }),
  /** 0, 1, …, n−1 along the last axis (position ids), repeated over the other axes. */
  z.object({ kind: z.literal('range') }),
  /** Uniform in [low, high] (integers inclusive), seeded like the random inputs. */
  z.object({ kind: z.literal('uniform'), low: z.number(), high: z.number() }).refine((v) => v.low <= v.high, 'low must not exceed high'),
  z.object({ kind: z.literal('file'), path: z.string().min(1) }),
]);
export type InputValue = z.infer<typeof InputValueSchema>;

/** Input name → how its data is made; inputs not named are seeded random data (or a stated default). */
export const InputValuesSchema = z.record(z.string().min(1), InputValueSchema);
export type InputValues = z.infer<typeof InputValuesSchema>;

/** Where a fed input's data came from, as results record it: `user` is a tensor from the inputs folder. */
export const InputSourceSchema = z.enum(['random', 'user', 'number', 'zeros', 'ones', 'range', 'uniform', 'file']);
export type InputSource = z.infer<typeof InputSourceSchema>;

export type InputValueParse = { ok: true; value: InputValue } | { ok: false; error: string };

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** "16000", "zeros", "ones", "range", "-1..1", "state.npy" → the value source. */
export function parseInputValue(text: string): InputValueParse {
  const t = text.trim();
  if (t === '') return { ok: false, error: 'a value is missing' };
  const lower = t.toLowerCase();
  if (lower === 'zeros' || lower === 'ones' || lower === 'range') return { ok: true, value: { kind: lower } };
  if (NUMBER.test(t)) return { ok: true, value: { kind: 'number', value: Number(t) } };
  const range = /^(.+?)\.\.(.+)$/.exec(t);
  if (range && NUMBER.test(range[1] as string) && NUMBER.test(range[2] as string)) {
    const low = Number(range[1]);
    const high = Number(range[2]);
    if (low > high) return { ok: false, error: `“${t}”: the low end must not exceed the high end` };
    return { ok: true, value: { kind: 'uniform', low, high } };
  }
  if (/\.(npy|pb)$/i.test(t)) return { ok: true, value: { kind: 'file', path: t } };
  return { ok: false, error: `“${t}” is not a number, zeros, ones, range, LO..HI or a .npy/.pb file` };
}

export type InputValuesParse = { ok: true; values: InputValues } | { ok: false; error: string };

/** "sr=16000, state=zeros" or one per line (the app's field) → values by input name. */
export function parseInputValues(text: string): InputValuesParse {
  const values: InputValues = {};
  for (const part of text.split(/[,\n]/)) {
    if (part.trim() === '') continue;
    const one = parseInputAssignment(part);
    if (!one.ok) return one;
    values[one.name] = one.value;
  }
  return { ok: true, values };
}

/** One `NAME=VALUE` (`--input sr=16000`). */
export function parseInputAssignment(text: string): { ok: true; name: string; value: InputValue } | { ok: false; error: string } {
  const at = text.indexOf('=');
  const name = at < 0 ? '' : text.slice(0, at).trim();
  if (at < 0 || name === '') return { ok: false, error: `“${text.trim()}” is not NAME=VALUE (e.g. sr=16000, state=zeros)` };
  const parsed = parseInputValue(text.slice(at + 1));
  return parsed.ok ? { ok: true, name, value: parsed.value } : { ok: false, error: `${name}: ${parsed.error}` };
}

/** The value as the user would type it: "16000", "zeros", "-1..1", "state.npy". */
export function formatInputValue(value: InputValue): string {
  switch (value.kind) {
    case 'number':
      return String(value.value);
    case 'uniform':
      return `${value.low}..${value.high}`;
    case 'file':
      return value.path;
    default:
      return value.kind;
  }
}

/** The app's text for a set of values: "sr=16000, state=zeros". */
export function formatInputValues(values: InputValues): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${formatInputValue(value)}`)
    .join(', ');
}

/** Well-known input names and the data they take unless told: the rule is stated wherever it applies. */
const WELL_KNOWN: readonly { pattern: RegExp; value: InputValue; why: string }[] = [
  { pattern: /attention_?mask|^mask$/i, value: { kind: 'ones' }, why: 'an attention mask attends every token' },
  { pattern: /token_?type_?ids|segment_?ids/i, value: { kind: 'zeros' }, why: 'token types default to the first segment' },
  { pattern: /position_?ids/i, value: { kind: 'range' }, why: 'positions count 0..n-1' },
  { pattern: /^(sr|sample_?rate|sampling_?rate)$/i, value: { kind: 'number', value: 16000 }, why: 'speech models take 16 kHz' },
  {
    pattern: /^(h|c|h_?0|c_?0|h_?n|c_?n)$|state|hidden|past_key|cache/i,
    value: { kind: 'zeros' },
    why: 'a recurrent state starts at zero',
  },
];

const INTEGER_TYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

export interface ChosenInputValue {
  /** null: seeded random data. */
  value: InputValue | null;
  /** Why a value was chosen without being asked ("a recurrent state starts at zero"); null when given or random. */
  stated: string | null;
}

/**
 * The data an input gets: the user's value, else a well-known name's default, else random. An
 * integer scalar with no default (a sample rate by another name, a flag) would run on a random
 * number: it returns `required` instead, for the caller to refuse naming `--input NAME=VALUE`.
 */
export function chooseInputValue(
  name: string,
  type: string,
  rank: number | null,
  given: InputValues = {},
): ChosenInputValue | { required: true } {
  const value = given[name];
  if (value) return { value, stated: null };
  const known = WELL_KNOWN.find((k) => k.pattern.test(name));
  if (known) return { value: known.value, stated: `${formatInputValue(known.value)} (${known.why})` };
  if (rank === 0 && INTEGER_TYPES.has(type)) return { required: true };
  return { value: null, stated: null };
}

/** The message of a refusal for integer scalars without a value (INPUT_REQUIRED). */
export function inputRequiredMessage(names: readonly string[]): string {
  const list = names.map((n) => `"${n}"`).join(', ');
  return (
    `Input${names.length === 1 ? '' : 's'} ${list} ${names.length === 1 ? 'is an integer scalar' : 'are integer scalars'} ` +
    `(a sample rate, a flag, a count) that random data would get wrong: give ${names.length === 1 ? 'its value' : 'their values'} ` +
    `with ${listWords(names.map((n) => inputSetting(n)))}.`
  );
}

/** What an input was fed, in words: "seeded random", "your data", or the value given or stated ("16000", "zeros (…)"). */
export function fedValueText(input: { source: string; value?: string | undefined }): string {
  if (input.source === 'random') return 'seeded random';
  if (input.source === 'user') return 'your data';
  return input.value ?? input.source;
}

/** The inputs a run or a comparison fed: "images float32[1, 3, 32, 48] seeded random; sr int64[] 16000". */
export function fedInputsText(
  inputs: readonly { name: string; type: string; shape: readonly number[]; source: string; value?: string | undefined }[],
): string {
  return inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(', ')}] ${fedValueText(i)}`).join('; ');
}
