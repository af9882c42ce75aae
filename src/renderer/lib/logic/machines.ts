/**
 * How the app reads the machines plans can run on (docs/machines.md): whether one can take a plan now, its state in
 * words, what was sent to it, and which execution providers a plan can tick across the machines chosen.
 */
import type { ProviderStatus } from '../../../shared/domain/hardware';
import { LOCAL_MACHINE_ID, LOCAL_MACHINE_NAME, type Machine, type Transfers } from '../../../shared/domain/machine';
import type { ErrorInfo } from '../../../shared/errors';
import { formatBytes } from '../../../shared/stats/format';

export type MachineState = 'here' | 'ready' | 'unchecked' | 'unreachable' | 'refused' | 'incompatible' | 'failed' | 'no-token';

export const MACHINE_STATE_LABEL: Record<MachineState, string> = {
  here: 'This machine',
  ready: 'Ready',
  unchecked: 'Not checked yet',
  unreachable: 'Unreachable',
  refused: 'Refused the token',
  incompatible: 'Incompatible version',
  failed: 'Failed',
  'no-token': 'Token missing',
};

export const MACHINE_STATE_TONE = {
  here: 'accent',
  ready: 'ok',
  unchecked: 'neutral',
  unreachable: 'danger',
  refused: 'danger',
  incompatible: 'danger',
  failed: 'danger',
  'no-token': 'warn',
} as const satisfies Record<MachineState, string>;

/** A machine's state from its last check (a machine whose token this host no longer has cannot be asked). */
export function machineState(machine: Pick<Machine, 'local' | 'status' | 'token'>): MachineState {
  if (machine.local) return 'here';
  if (machine.token === 'missing') return 'no-token';
  const status = machine.status;
  if (!status) return 'unchecked';
  if (status.compatible && status.error === null) return 'ready';
  switch (status.error?.code) {
    case 'MACHINE_UNREACHABLE':
      return 'unreachable';
    case 'MACHINE_UNAUTHORIZED':
      return 'refused';
    case 'MACHINE_INCOMPATIBLE':
      return 'incompatible';
    default:
      return status.reachable ? (status.compatible ? 'failed' : 'incompatible') : 'unreachable';
  }
}

/** A plan can be sent there: this machine, or one whose last check found it ready (a failed one is checked again first). */
export function takesPlans(machine: Pick<Machine, 'local' | 'status' | 'token'>): boolean {
  const state = machineState(machine);
  return state === 'here' || state === 'ready';
}

/** "2 models sent (45.1 MB) · 1 already there", or null when nothing was sent yet. */
export function transfersText(transfers: Transfers): string | null {
  const parts: string[] = [];
  if (transfers.modelsSent > 0)
    parts.push(`${transfers.modelsSent} model${transfers.modelsSent === 1 ? '' : 's'} sent (${formatBytes(transfers.bytesSent)})`);
  if (transfers.modelsFound > 0) parts.push(`${transfers.modelsFound} already there`);
  return parts.length > 0 ? parts.join(' · ') : null;
}

/** The providers a machine's last check found, or this machine's detection for it. */
export function machineProviders(machine: Machine, local: readonly ProviderStatus[]): readonly ProviderStatus[] {
  return machine.local ? local : (machine.status?.hardware?.providers ?? []);
}

/** The providers ready on a machine, by name. */
export function readyOn(machine: Machine, local: readonly ProviderStatus[]): Set<string> {
  return new Set(
    machineProviders(machine, local)
      .filter((p) => p.status === 'ready')
      .map((p) => p.name),
  );
}

/**
 * The providers a plan may tick: this machine's, then those only other chosen machines have, named with where they are
 * ("CUDA on gpu-box"). A provider counts as ready when it is ready on at least one chosen machine; each machine then
 * measures the ticked ones it has.
 */
export function planProviders(local: readonly ProviderStatus[], chosen: readonly Machine[]): ProviderStatus[] {
  const remote = chosen.filter((machine) => !machine.local);
  if (remote.length === 0) return [...local];
  const rows = new Map<string, { status: ProviderStatus; where: string[] }>();
  for (const machine of chosen) {
    for (const provider of machineProviders(machine, local)) {
      const row = rows.get(provider.name);
      const ready = provider.status === 'ready';
      if (!row) rows.set(provider.name, { status: provider, where: ready ? [machine.name] : [] });
      else {
        if (ready) row.where.push(machine.name);
        if (ready && row.status.status !== 'ready') row.status = provider;
      }
    }
  }
  return [...rows.values()].map(({ status, where }) => {
    if (where.length === chosen.length || where.length === 0) return status;
    return {
      ...status,
      displayName: `${status.displayName} on ${where.join(', ')}`,
      detail: `Only on ${where.join(', ')}: ${status.detail}`,
    };
  });
}

/** The ticked providers one machine can measure, in the plan's order. */
export function epsFor(eps: readonly string[], machine: Machine, local: readonly ProviderStatus[]): string[] {
  const ready = readyOn(machine, local);
  return eps.filter((ep) => ready.has(ep));
}

/** The machines chosen, in the list's order (this machine first); ids no longer saved are dropped. */
export function chosenMachines(list: readonly Machine[], ids: readonly string[]): Machine[] {
  return list.filter((machine) => ids.includes(machine.id));
}

/** "this machine" or the machine's name, for a chosen id. */
export function machineNameOf(list: readonly Machine[], id: string): string {
  return list.find((machine) => machine.id === id)?.name ?? (id === LOCAL_MACHINE_ID ? LOCAL_MACHINE_NAME : id);
}

/** The plan for one chosen machine, or why it is not sent there. */
export interface MachinePlan<Plan extends { eps?: string[] }> {
  machine: { id: string; name: string };
  plan: Plan | null;
  refused: ErrorInfo | null;
}

/**
 * The same plan for each chosen machine, with the ticked providers that machine has ready (this machine alone: the
 * plan as it is). A machine with none of them is not asked, and says why.
 */
export function machinePlans<Plan extends { eps?: string[] }>(
  plan: Plan,
  chosen: readonly Machine[],
  local: readonly ProviderStatus[],
): MachinePlan<Plan>[] {
  if (chosen.length === 0 || (chosen.length === 1 && chosen[0]?.local)) {
    return [{ machine: { id: LOCAL_MACHINE_ID, name: LOCAL_MACHINE_NAME }, plan, refused: null }];
  }
  return chosen.map((machine) => {
    const ref = { id: machine.id, name: machine.name };
    const eps = epsFor(plan.eps ?? [], machine, local);
    if (eps.length > 0) return { machine: ref, plan: { ...plan, eps }, refused: null };
    const ticked = providerNames(plan.eps ?? [], machineProviders(machine, local));
    return {
      machine: ref,
      plan: null,
      refused: {
        code: 'EP_UNAVAILABLE',
        message:
          `${machine.name}: none of the ticked providers (${ticked}) is ready there, so the plan was not sent. Tick one it ` +
          'has, or check it again in Machines.',
      },
    };
  });
}

function providerNames(eps: readonly string[], known: readonly ProviderStatus[]): string {
  return eps.map((ep) => known.find((p) => p.name === ep)?.displayName ?? ep).join(', ');
}
