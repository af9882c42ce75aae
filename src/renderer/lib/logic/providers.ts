import type { ProviderState, ProviderStatus } from '../../../shared/domain/hardware';

/**
 * The provider rows to show: the last full detection, with statuses that arrived since
 * (probes report one by one while a detection runs) replacing their row or appended.
 */
export function mergeProviders(detected: readonly ProviderStatus[], live: readonly ProviderStatus[]): ProviderStatus[] {
  const latest = new Map(live.map((status) => [status.name, status]));
  const rows = detected.map((status) => latest.get(status.name) ?? status);
  const known = new Set(detected.map((status) => status.name));
  for (const status of live) if (!known.has(status.name)) rows.push(status);
  return rows;
}

/** Adds or replaces one live status, keeping arrival order. */
export function withLiveStatus(live: readonly ProviderStatus[], status: ProviderStatus): ProviderStatus[] {
  const index = live.findIndex((entry) => entry.name === status.name);
  if (index < 0) return [...live, status];
  const next = [...live];
  next[index] = status;
  return next;
}

export const PROVIDER_STATE_LABEL: Record<ProviderState, string> = {
  ready: 'Ready',
  'not-installed': 'Not installed',
  'no-device': 'No device',
  failed: 'Failed',
};

export const PROVIDER_STATE_TONE = {
  ready: 'ok',
  'not-installed': 'neutral',
  'no-device': 'neutral',
  failed: 'danger',
} as const satisfies Record<ProviderState, string>;
