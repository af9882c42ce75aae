/**
 * A model's input profile: the values of its symbolic dimensions and what each named input is fed.
 * Kept per model (by the sha256 of its file) in the data folder, so the sizes and values typed
 * once are used again by every view, CLI command and report, also after the model is reopened.
 */
import { z } from 'zod';
import { DimValuesSchema, type DimValues } from './app';
import { formatInputValues, InputValuesSchema, type InputValues } from './input-values';

export const InputProfileSchema = z.object({
  dims: DimValuesSchema.default({}),
  values: InputValuesSchema.default({}),
  /** When the person last saved it (ISO time); null for a sample's stated profile. */
  savedAt: z.string().nullable(),
  /** "saved": the person's; "sample": the sizes a sample of Inferscope's states (its reference dims). */
  origin: z.enum(['saved', 'sample']).default('saved'),
});
export type InputProfile = z.infer<typeof InputProfileSchema>;

/** What a request states on top of the saved profile: the request's values win, name by name. */
export function withProfile<T extends { dims?: DimValues; values?: InputValues }>(
  profile: Pick<InputProfile, 'dims' | 'values'> | null,
  given: T,
): { dims: DimValues; values: InputValues } {
  return { dims: { ...(profile?.dims ?? {}), ...(given.dims ?? {}) }, values: { ...(profile?.values ?? {}), ...(given.values ?? {}) } };
}

/** "H=640, W=640; sr=16000" — the profile in the words of the CLI's --dim and --input, or "" when empty. */
export function describeProfile(profile: Pick<InputProfile, 'dims' | 'values'>): string {
  const dims = Object.entries(profile.dims).map(([name, value]) => `${name}=${value}`);
  return [dims.join(', '), formatInputValues(profile.values)].filter((part) => part !== '').join('; ');
}

export function profileIsEmpty(profile: Pick<InputProfile, 'dims' | 'values'> | null | undefined): boolean {
  return !profile || (Object.keys(profile.dims).length === 0 && Object.keys(profile.values).length === 0);
}

/** Whether a profile already holds exactly these dims and values (order aside). */
export function sameProfile(profile: Pick<InputProfile, 'dims' | 'values'> | null, dims: DimValues, values: InputValues): boolean {
  const canonical = (dimsOf: DimValues, valuesOf: InputValues) =>
    JSON.stringify([Object.entries(dimsOf).sort(), Object.entries(valuesOf).sort((a, b) => a[0].localeCompare(b[0]))]);
  return canonical(profile?.dims ?? {}, profile?.values ?? {}) === canonical(dims, values);
}
