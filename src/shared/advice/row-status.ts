/**
 * A setup against the whole requirement in words, and its capacity cell: one wording for the
 * Decide view, its Markdown copy and the PDF report.
 */
import type { VerdictRow } from '../domain/advice';
import { formatCount } from '../stats/format';
import { formatJoules, formatRps, formatUsd } from './format';

/** A setup against the whole requirement: latency, batching and throughput together. */
export type RowRequirementStatus = 'meets' | 'borderline' | 'misses' | 'fails' | 'not-eligible';

export function rowRequirementStatus(row: Pick<VerdictRow, 'eligible' | 'meetsRequirement' | 'targetStatus'>): RowRequirementStatus {
  if (!row.eligible) return 'not-eligible';
  if (row.meetsRequirement) return row.targetStatus === 'meets' ? 'meets' : 'borderline';
  // Misses on the estimate, yet the CI allows it: worth a longer measurement.
  return row.targetStatus === 'borderline' ? 'misses' : 'fails';
}

export const ROW_STATUS_LABEL: Readonly<Record<RowRequirementStatus, string>> = {
  meets: 'meets',
  borderline: 'borderline',
  misses: 'narrow miss',
  fails: 'fails',
  'not-eligible': 'not eligible',
};

export const ROW_STATUS_TITLE: Readonly<Record<RowRequirementStatus, string>> = {
  meets: 'Meets the requirement even at the pessimistic end of the 95 % CI',
  borderline: 'Meets it on the estimate, but not at the pessimistic end of the 95 % CI',
  misses: 'Misses it on the estimate; within the 95 % CI it could meet it',
  fails: 'Does not meet it, not even at the optimistic end of the 95 % CI',
  'not-eligible': 'Batch > 1 needs a batching delay: allow one to consider this setup',
};

/** Why a setup that is not eligible has no capacity. */
export const NOT_ELIGIBLE_NOTE = 'needs a batching delay';

/** "11,800 req/s", with the range its CI allows where that differs, and how it was found. */
export function capacityText(row: Pick<VerdictRow, 'capacity' | 'eligible'>): { value: string; range: string | null; note: string | null } {
  const cap = row.capacity;
  if (!row.eligible) return { value: '—', range: null, note: NOT_ELIGIBLE_NOTE };
  if (cap.maxThroughputRps === null) return { value: '—', range: null, note: 'no level meets it' };
  const same = cap.lowRps === cap.maxThroughputRps && cap.highRps === cap.maxThroughputRps;
  const range = same
    ? null
    : `${cap.lowRps === null ? 'none' : formatCount(cap.lowRps)}–${cap.highRps === null ? 'none' : formatCount(cap.highRps)}`;
  let note: string | null = null;
  if (cap.singleLevel) note = 'one level measured';
  else if (cap.basis === 'interpolated') note = 'interpolated';
  else if (cap.atHighestLevel) note = 'highest level measured';
  return { value: formatRps(cap.maxThroughputRps), range, note };
}

/** "3", or "3–4" when the capacity's CI would take more. */
export function instancesText(row: Pick<VerdictRow, 'instances' | 'instancesRange'>): string {
  if (row.instances === null) return '—';
  const high = row.instancesRange?.[1];
  return high !== undefined && high !== null && high !== row.instances ? `${row.instances}–${high}` : String(row.instances);
}

/** The energy column's heading and what it holds (hover in the app, a note on paper). */
export const ENERGY_HEADING = 'Energy';
export const ENERGY_TITLE =
  'Energy per inference and its electricity cost per million, where power was measured ' +
  "(a GPU's draw from nvidia-smi, or the CPU package's RAPL counters)";

/** Energy only where power was measured (GPU draw or CPU package RAPL): "12 mJ · $0.0005/M". */
export function energyText(row: Pick<VerdictRow, 'energyPerInferenceJ' | 'electricityPerMillion'>): string {
  if (row.energyPerInferenceJ === null) return '—';
  return row.electricityPerMillion === null
    ? formatJoules(row.energyPerInferenceJ)
    : `${formatJoules(row.energyPerInferenceJ)} · ${formatUsd(row.electricityPerMillion)}/M`;
}
