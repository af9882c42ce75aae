/**
 * One model measured on several machines: how each provider did on each machine, side by side and in one sentence —
 * "CPU on this machine: fails p95 ≤ 20 ms (52 ms at best); CUDA (NVIDIA L4) on gpu-box: meets it up to 2,400 req/s at
 * $0.21 per million".
 */
import type { MachineOutcome, Requirement, VerdictRow } from '../domain/advice';
import { LOCAL_MACHINE_ID } from '../domain/machine';
import { providerDisplayName } from '../domain/providers';
import { formatMs } from '../stats';
import { formatRps, formatUsd } from './format';
import { bestLatencyMs, byCost, fastest } from './ranking';
import { ORIGINAL_VARIANT } from './setups';

/** "CUDA (NVIDIA L4) on gpu-box", "WebGPU (software adapter, not a GPU) on this machine". */
function outcomeLabel(row: VerdictRow, showVariant: boolean): string {
  const device = row.gpuName ? ` (${row.gpuName})` : row.softwareAdapter ? ' (software adapter, not a GPU)' : '';
  const variant = showVariant && row.variant !== ORIGINAL_VARIANT ? `${row.variantLabel} on ` : '';
  return `${variant}${providerDisplayName(row.ep)}${device} on ${row.machineName}`;
}

/** The setup a provider on a machine is judged by: the cheapest meeting the requirement, else the fastest. */
function representative(rows: readonly VerdictRow[]): VerdictRow {
  const eligible = rows.filter((r) => r.eligible);
  const meeting = eligible.filter((r) => r.meetsRequirement).sort(byCost);
  return meeting.find((r) => r.reliable) ?? meeting[0] ?? fastest(eligible)?.row ?? (rows[0] as VerdictRow);
}

function statusOf(row: VerdictRow): MachineOutcome['status'] {
  if (row.meetsRequirement && !row.reliable) return 'uncertain';
  if (row.meetsRequirement) return row.targetStatus === 'meets' ? 'meets' : 'borderline';
  return row.targetStatus === 'borderline' ? 'borderline' : 'fails';
}

/** "up to 180 req/s (2 instances for 200 req/s) at $0.28 per million". */
function servingWords(row: VerdictRow, requirement: Requirement): string {
  const cap = row.capacity.maxThroughputRps ?? 0;
  const target = requirement.throughputRps;
  const n = row.instances ?? 1;
  const fleet = target !== null && n > 1 ? ` (${n} instances for ${formatRps(target)})` : '';
  return `up to ${formatRps(cap)}${fleet} at ${formatUsd(row.costPerMillion ?? NaN)} per million`;
}

/** What the outcome says after its label; `goal` is the requirement in words the first time, "it" after. */
function outcomeWords(row: VerdictRow, status: MachineOutcome['status'], goal: string, requirement: Requirement): string {
  const best = bestLatencyMs(row);
  const atBest = requirement.latency && best !== null ? ` (${requirement.latency.percentile} ${formatMs(best)} at best)` : '';
  if (!row.eligible) return `not considered: batch ${row.batch} needs a batching delay`;
  switch (status) {
    case 'meets':
      return `meets ${goal} ${servingWords(row, requirement)}`;
    case 'uncertain':
      return `might meet ${goal}, but its measurement is too uncertain to say`;
    case 'borderline':
      return row.meetsRequirement
        ? `meets ${goal} on the estimate but not at the far end of its 95 % CI, ${servingWords(row, requirement)}`
        : `misses ${goal} narrowly${atBest}`;
    case 'fails':
      return `fails ${goal}${atBest}`;
  }
}

/**
 * Each provider on each machine, in the order the machines and providers first appear among the rows; empty when the
 * rows come from one machine (the verdict itself then says it all).
 */
export function machineOutcomes(rows: readonly VerdictRow[], requirement: Requirement, goal: string): MachineOutcome[] {
  if (new Set(rows.map((r) => r.machineName)).size < 2) return [];
  const groups = new Map<string, VerdictRow[]>();
  // This machine first, then the others in the order their runs were given.
  const ordered = [...rows].sort((a, b) => Number(b.machineId === LOCAL_MACHINE_ID) - Number(a.machineId === LOCAL_MACHINE_ID));
  for (const row of ordered) {
    const key = `${row.machineName}\u0000${row.ep}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const showVariant = rows.some((r) => r.variant !== ORIGINAL_VARIANT);
  let said = false;
  return [...groups.values()].map((group) => {
    const row = representative(group);
    const status = statusOf(row);
    const label = outcomeLabel(row, showVariant);
    const meets = status === 'meets' || (status === 'borderline' && row.meetsRequirement);
    const words = outcomeWords(row, status, said ? 'it' : goal, requirement);
    // "it" refers back to the requirement once a sentence has named it.
    said ||= row.eligible;
    return {
      machineName: row.machineName,
      machineId: row.machineId,
      ep: row.ep,
      label,
      rowId: row.id,
      status,
      capacityRps: row.capacity.maxThroughputRps,
      costPerMillion: meets ? row.costPerMillion : null,
      pricePerHour: row.pricePerHour,
      text: `${label}: ${words}`,
    };
  });
}

/** "Machine by machine: CPU on this machine: fails p95 ≤ 20 ms (…); CUDA (NVIDIA L4) on gpu-box: meets it …." */
export function machinesSentence(outcomes: readonly MachineOutcome[]): string {
  return outcomes.length === 0 ? '' : `Machine by machine: ${outcomes.map((o) => o.text).join('; ')}.`;
}
