import type { BenchPlanInput } from '../../../shared/domain/plan';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import { RunFollower } from './run-follower.svelte';

/** The same plan measured on one more machine: its own follower, and why it did not start where it could not. */
export interface MachineRun {
  machine: { id: string; name: string };
  follower: RunFollower;
  /** Why this machine was not asked at all (none of the ticked providers is ready there). */
  refused: ErrorInfo | null;
}

/**
 * The runs of one plan on the machines besides the one the Benchmark view shows in full: each followed live (progress,
 * cancel, its error named after its machine) until the next plan starts. Runs start one after another, so each
 * follower has its own run named before the next one begins.
 */
export class MachineRuns {
  entries = $state.raw<MachineRun[]>([]);
  running: boolean = $derived(this.entries.some((entry) => entry.follower.starting || entry.follower.running));

  private stops: (() => void)[] = [];

  constructor(private readonly backend: Backend) {}

  /** Drops the previous plan's runs (they go on, saved as usual) and follows these. */
  reset() {
    for (const stop of this.stops.splice(0)) stop();
    this.entries = [];
  }

  /** Starts `plan` on `machine` and follows it; `refused` instead records why it was not sent there. */
  async start(machine: MachineRun['machine'], plan: BenchPlanInput | null, refused: ErrorInfo | null = null) {
    const follower = new RunFollower(this.backend);
    this.stops.push(follower.connect());
    this.entries = [...this.entries, { machine, follower, refused }];
    if (plan) await follower.start(plan, machine.id);
  }

  async cancel(machineId: string) {
    await this.entries.find((entry) => entry.machine.id === machineId)?.follower.cancel();
  }
}
