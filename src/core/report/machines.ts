/**
 * The report's view of several machines (docs/machines.md): each provider on each machine side by side under a
 * model's verdict, each machine's own price among the requirement's, and a run's machine named with its hardware.
 */
import { formatRps, formatUsd, machineLabel } from '../../shared/advice';
import type { ModelVerdict, Verdict } from '../../shared/domain/advice';
import type { RunDocument } from '../../shared/domain/run';
import { table } from './section-kit';

const STATUS: Record<ModelVerdict['machines'][number]['status'], string> = {
  meets: 'meets',
  borderline: 'borderline',
  uncertain: 'too uncertain to say',
  fails: 'fails',
};

/** "Machine by machine": one row per provider on each machine; empty when the model was measured on one machine. */
export function machinesTable(model: ModelVerdict): string {
  if (model.machines.length === 0) return '';
  const rows = model.machines.map((o) => [
    o.label,
    STATUS[o.status],
    o.capacityRps === null ? '—' : formatRps(o.capacityRps),
    o.costPerMillion === null ? '—' : formatUsd(o.costPerMillion),
    `${formatUsd(o.pricePerHour)}/h`,
  ]);
  return (
    `<h3>Machine by machine</h3>` +
    table(['Provider and machine', 'Requirement', 'Capacity', 'Cost / million', 'Machine price'], rows, 'compact machines')
  );
}

/** Each machine's own price, named as the verdict names it ("gpu-box machine: $0.90 per hour"). */
export function machinePriceEntries(verdict: Verdict): [string, string][] {
  const names = new Map(verdict.rows.filter((r) => r.machineId !== null).map((r) => [r.machineId as string, r.machineName]));
  return Object.entries(verdict.requirement.prices.byMachine ?? {}).map(([id, price]): [string, string] => [
    `${names.get(id) ?? id} (each setup there)`,
    `${formatUsd(price)} per hour`,
  ]);
}

/** "gpu-box (http://127.0.0.1:5179): Intel Xeon … + NVIDIA L4" for a run measured on a saved machine; its hardware otherwise. */
export function runMachineText(run: RunDocument): string {
  return run.machine ? `${run.machine.name} (${run.machine.url}): ${machineLabel(run)}` : machineLabel(run);
}
