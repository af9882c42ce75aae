import type { DimValues } from '../../../shared/domain/app';
import type { SymbolicDim } from '../../../shared/domain/model';

/** The dims form as typed: one text per symbolic dimension, so half-typed values survive re-renders. */
export type DimsDraft = Record<string, string>;

export function draftFromDims(dims: readonly SymbolicDim[]): DimsDraft {
  return Object.fromEntries(dims.map((dim) => [dim.name, dim.value === null ? '' : String(dim.value)]));
}

export type DimsParse = { ok: true; dims: DimValues } | { ok: false; errors: Record<string, string> };

/**
 * Reads the form into the request's dims. Empty fields are left out (the services then
 * use their default, or leave the dimension unset); anything else must be a positive integer.
 */
export function parseDimsDraft(draft: DimsDraft): DimsParse {
  const dims: DimValues = {};
  const errors: Record<string, string> = {};
  for (const [name, raw] of Object.entries(draft)) {
    const text = raw.trim();
    if (text === '') continue;
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
      errors[name] = 'Enter a whole number of 1 or more';
    } else {
      dims[name] = value;
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, dims };
}

/** Whether the form differs from the values the shown model info was computed with. */
export function draftChanged(draft: DimsDraft, dims: readonly SymbolicDim[]): boolean {
  const current = draftFromDims(dims);
  return Object.keys(draft).some((name) => (draft[name] ?? '').trim() !== (current[name] ?? ''));
}
