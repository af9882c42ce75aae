/**
 * Why MACs are unknown, for people and for programs: the symbolic dims that keep shapes open
 * (by name, so the user knows what to set) or the nodes whose shapes or trip counts are unknown.
 */
import type { MacsBlocker, MacsUnknown } from '../../shared/domain/model';
import { dimSetting, listWords } from '../../shared/settings';
import type { MacSummary } from './macs';

/** Blocking nodes listed in the result; the count says how many there are in all. */
const MAX_LISTED = 20;
/** Blocking nodes named in the sentence. */
const MAX_NAMED = 3;

function listFormat(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
}

const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ');

function describeBlocker(b: MacsBlocker): string {
  const label = b.node ? `${b.op} "${b.node}"` : `an unnamed ${b.op}`;
  if (b.detail.startsWith('runs its body')) return `${label} ${b.detail}`;
  return b.dims.length > 0 ? `${label} depends on ${quoted(b.dims)}` : `${label}: ${b.detail}`;
}

function namedList(blockers: MacsBlocker[]): string {
  const named = blockers.slice(0, MAX_NAMED).map(describeBlocker).join('; ');
  const more = blockers.length - MAX_NAMED;
  return more > 0 ? `${named}; and ${more} more` : named;
}

/** The unknown dims in first-seen order. */
function blockingDims(blockers: MacsBlocker[]): string[] {
  return [...new Set(blockers.flatMap((b) => b.dims))];
}

export interface UnknownMacs {
  reason: string;
  unknown: MacsUnknown;
}

/**
 * `unsetDims`: symbolic dims of the model that have no value; named as a way out when the
 * blocking nodes' shapes are unknown without a dim to point at.
 */
export function explainUnknownMacs(macs: MacSummary, unsetDims: string[], failure?: string): UnknownMacs {
  const blockers: MacsBlocker[] = macs.blockers.map((b) => ({ node: b.node, op: b.op, dims: b.dims, detail: b.detail }));
  const dims = blockingDims(blockers);
  const unknownOf = (reason: MacsUnknown['reason']): MacsUnknown => ({
    reason,
    dims,
    nodes: blockers.slice(0, MAX_LISTED),
    nodeCount: blockers.length,
  });
  if (failure !== undefined) {
    return {
      reason: `MACs unknown: shape propagation failed (${failure}).`,
      unknown: { ...unknownOf('shape-propagation-failed'), dims: [] },
    };
  }
  if (macs.issues.length > 0) return { reason: `MACs unknown: ${macs.issues.join('; ')}.`, unknown: unknownOf('too-large') };
  const parts: string[] = [];
  const shapeBlockers = blockers.filter((b) => !b.detail.startsWith('runs its body'));
  const loopBlockers = blockers.filter((b) => b.detail.startsWith('runs its body'));
  if (Object.keys(macs.unknown).length > 0) {
    parts.push(`the shapes of ${listFormat(macs.unknown)} could not be determined (${namedList(shapeBlockers)})`);
  }
  if (loopBlockers.length > 0) parts.push(namedList(loopBlockers));
  let reason = `MACs unknown: ${parts.join('; ')}.`;
  const toSet = dims.length > 0 ? dims : shapeBlockers.length > 0 ? unsetDims : [];
  if (toSet.length > 0) reason += ` Set ${listWords(toSet.map((name, i) => dimSetting(name, i === 0 ? '128' : undefined)))} to count them.`;
  const kind = dims.length > 0 ? 'unset-dims' : shapeBlockers.length > 0 ? 'unknown-shapes' : 'unknown-trip-count';
  return { reason, unknown: unknownOf(kind) };
}
