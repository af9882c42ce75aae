import type { ModelSource } from '../../../shared/domain/app';
import { samplesLeftOut, type ConfigCharts } from '../../../shared/domain/config-charts';
import type { ModelInfo } from '../../../shared/domain/model';
import { formatInputValues, type InputValues } from '../../../shared/domain/input-values';
import { sameProfile } from '../../../shared/domain/profile';
import type { BenchProgressEvent, RunDocument } from '../../../shared/domain/run';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import {
  buildPlan,
  planDuration,
  defaultDraft,
  dimsDraft,
  readyProviders,
  sourceFromKey,
  sourceKey,
  type BenchDraft,
  type DraftField,
} from '../logic/bench-plan';
import { ThinnedSeries, type SamplePoints } from '../../../shared/stats/latency-series';
import { estimateRemainingMs } from '../logic/run-results';
import { chosenMachines, machinePlans, planProviders } from '../logic/machines';
import { LOCAL_MACHINE_ID, type Machine } from '../../../shared/domain/machine';
import type { ProviderStatus } from '../../../shared/domain/hardware';
import { MachineRuns } from './machine-runs.svelte';
import { machinesController, type MachinesController } from './machines.svelte';
import { exportRunJson } from './run-files';
import type { HardwareController } from './hardware.svelte';
import type { ModelController } from './model.svelte';
import { RunFollower } from './run-follower.svelte';

/** A model the plan form offers. */
export interface ModelChoice {
  key: string;
  label: string;
  /** Where it comes from: "Open in the Model view", "Sample", "Recent". */
  group: string;
  source: ModelSource;
}

const NO_POINTS: SamplePoints = { index: [], ms: [], total: 0 };

/**
 * The live chart redraws several times a second while the benchmark keeps every core busy: half
 * the points of a finished configuration's chart still make a cloud, at half the drawing.
 */
export const LIVE_POINTS_CAP = 1000;

/**
 * The Benchmark view's state: the plan being edited, and the run being measured (or the last
 * one measured). Lives as long as the app, so switching views never loses a run in progress.
 *
 * Progress events arrive up to 20 per second with the new samples; each only appends to a
 * thinned series, and the reactive state the charts read is refreshed at most once per frame.
 */
export class BenchController {
  // --- the plan form
  draft = $state<BenchDraft>(defaultDraft());
  /** Errors are shown once the person has tried to start. */
  submitted = $state(false);

  // One model across views: the picker here opens the model everywhere (Model, Quantize, Benchmark),
  // and the Model view keeps it across a reload. $derived.by: the constructor's parameters are not
  // assigned yet when field initialisers run.
  modelKey: string | null = $derived.by(() => (this.model.source ? sourceKey(this.model.source) : null));
  source: ModelSource | null = $derived.by(() => this.model.source);
  info: ModelInfo | null = $derived.by(() => this.model.info);

  /** The symbolic dims as typed; follows the model (and its input profile) whenever a different one is chosen. */
  dims: Record<string, string> = $derived(dimsDraft(this.info?.dims ?? []));
  /** Input values as typed (NAME=VALUE, …); the model's input profile until changed. */
  inputValues: string = $derived(formatInputValues(this.info?.profile?.values ?? {}));
  /** The person's ticks; null until they change one (a detection finishing later must not undo them). */
  epChoice = $state.raw<string[] | null>(null);
  /** The machines the plan runs on, by id (docs/machines.md): this machine until the person picks others. */
  machineIds = $state.raw<string[]>([LOCAL_MACHINE_ID]);
  chosen: Machine[] = $derived.by(() => chosenMachines(this.machines.list, this.machineIds));
  /** The providers to tick: this machine's, and those only the other chosen machines have. */
  providers: ProviderStatus[] = $derived.by(() => planProviders(this.hardware.providers, this.chosen));
  /** Ticked providers: every ready one until the person changes the ticks. */
  eps: string[] = $derived.by(() => this.epChoice ?? readyProviders(this.providers));

  choices: ModelChoice[] = $derived.by(() => {
    const choices: ModelChoice[] = [];
    const add = (source: ModelSource, label: string, group: string) => {
      const key = sourceKey(source);
      if (!choices.some((choice) => choice.key === key)) choices.push({ key, label, group, source });
    };
    if (this.model.source && this.model.info) add(this.model.source, this.model.info.name, 'Open in the Model view');
    for (const sample of this.model.samples) add({ kind: 'sample', name: sample.name }, sample.title, 'Samples');
    for (const entry of this.model.recent) {
      add(entry.sample ? { kind: 'sample', name: entry.sample } : { kind: 'path', path: entry.path }, entry.name, 'Recent');
    }
    return choices;
  });

  plan = $derived(
    buildPlan({ ...this.draft, dims: this.dims, inputValues: this.inputValues }, this.source, this.eps, this.info?.inputs ?? null),
  );
  errors: Partial<Record<DraftField, string>> = $derived(this.submitted && !this.plan.ok ? this.plan.errors : {});
  /** One inference of this model as the last run here measured it (same file content), for the plan's duration. */
  knownRunMs: number | null = $derived.by(() => {
    const run = this.run;
    if (!run || !this.info?.sha256 || run.model.sha256 !== this.info.sha256) return null;
    const medians = run.configs.map((c) => c.latencyMs?.median ?? null).filter((m): m is number => m !== null);
    return medians.length > 0 ? Math.max(...medians) : null;
  });
  duration = $derived(planDuration(this.plan, this.knownRunMs));

  // --- the run
  /** Follows the run being measured (or the last one measured). */
  private readonly follower: RunFollower;
  etaMs = $state<number | null>(null);
  /** The current configuration's samples, thinned for the live charts. */
  live = $state.raw<SamplePoints>(NO_POINTS);
  liveConfigId = $state<string | null>(null);

  /** The same plan's runs on the other chosen machines. */
  readonly elsewhere: MachineRuns;
  readonly machines: MachinesController;

  private readonly samples = new ThinnedSeries(LIVE_POINTS_CAP);
  private samplesConfigId: string | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly model: ModelController,
    private readonly hardware: HardwareController,
  ) {
    this.machines = machinesController(backend);
    this.elsewhere = new MachineRuns(backend);
    this.follower = new RunFollower(backend, {
      perFrame: true,
      forget: () => this.resetLive(),
      sample: (event) => this.addSamples(event),
      progressed: (event) => {
        this.etaMs = estimateRemainingMs(this.follower.fraction, Date.now() - this.follower.startedAt, event.etaMs);
        this.live = this.samples.snapshot();
        this.liveConfigId = event.configId;
      },
      ended: () => {
        this.etaMs = null;
      },
    });
  }

  get run(): RunDocument | null {
    return this.follower.run;
  }
  get progress(): BenchProgressEvent | null {
    return this.follower.progress;
  }
  /** Charts of the run's finished configurations, whose samples `run` leaves out. */
  get charts(): Readonly<Record<string, ConfigCharts>> {
    return this.follower.charts;
  }
  /** Whole run, 0–1; never moves backwards. */
  get fraction(): number {
    return this.follower.fraction;
  }
  get running(): boolean {
    return this.follower.running;
  }
  get starting(): boolean {
    return this.follower.starting;
  }
  get cancelling(): boolean {
    return this.follower.cancelling;
  }
  get error(): ErrorInfo | null {
    return this.follower.error;
  }
  /** Picked up after a reload: this page gets the run's results, not its live samples. */
  get resumed(): boolean {
    return this.follower.resumed;
  }

  /** Listens for benchmark events and picks up a run the host is still measuring; returns the cleanup. */
  connect(): () => void {
    const stop = this.follower.connect();
    void this.follower.resumeActive();
    return stop;
  }

  // --- form actions

  /** The model being read after a pick, or why it could not be read. */
  get chosenLoading(): boolean {
    return this.model.loading;
  }
  get chosenError(): ErrorInfo | null {
    return this.model.info ? null : this.model.error;
  }

  /** Picking a model here picks it for every view: it becomes the open model. */
  async chooseModel(key: string) {
    const source = sourceFromKey(key);
    if (!source || key === this.modelKey) return;
    await this.model.open(source);
  }

  setEp(name: string, checked: boolean) {
    const ticked = checked ? [...this.eps, name] : this.eps.filter((ep) => ep !== name);
    // In the Hardware view's order, so configurations run in the same order whatever the clicks.
    this.epChoice = this.providers.map((provider) => provider.name).filter((ep) => ticked.includes(ep));
  }

  setDim(name: string, value: string) {
    this.dims = { ...this.dims, [name]: value };
  }

  // --- run actions

  /** Picks a machine for the plan, or leaves it out (at least one stays picked). */
  setMachine(id: string, checked: boolean) {
    const ids = checked ? [...this.machineIds.filter((other) => other !== id), id] : this.machineIds.filter((other) => other !== id);
    if (ids.length > 0) this.machineIds = this.machines.list.map((machine) => machine.id).filter((other) => ids.includes(other));
  }

  /** The machine the run shown in full was measured on, by name ("this machine", "gpu-box"). */
  get runMachine(): string {
    return this.run?.machine?.name ?? 'this machine';
  }

  /** Measuring here or on another chosen machine. */
  get busy(): boolean {
    return this.running || this.starting || this.elsewhere.running;
  }

  /** The same plan on each chosen machine, one after another; the first that takes it is shown in full here. */
  async start() {
    this.submitted = true;
    const built = this.plan;
    if (!built.ok || this.elsewhere.running) return;
    await this.keepProfile(built.plan.dims ?? {}, built.plan.inputs?.values ?? {});
    this.elsewhere.reset();
    const targets = machinePlans(built.plan, this.chosen, this.hardware.providers);
    const shown = targets.find((target) => target.plan !== null);
    if (shown?.plan) await this.follower.start(shown.plan, shown.machine.id);
    for (const target of targets) if (target !== shown) await this.elsewhere.start(target.machine, target.plan, target.refused);
  }

  /** Sizes and values typed here become the model's input profile, so Quantize, the CLI and a reopened model use them too. */
  private async keepProfile(dims: Record<string, number>, values: InputValues) {
    const info = this.info;
    const source = this.source;
    if (!info || !source || sameProfile(info.profile ?? null, dims, values)) return;
    const key = this.modelKey;
    try {
      const next = await this.backend.invoke('model.inspect', { source, dims, values, saveProfile: true });
      if (key !== this.modelKey) return;
      this.model.info = next;
    } catch {
      // The run itself reports what is wrong with the model.
    }
  }

  async cancel() {
    await this.follower.cancel();
  }

  dismissError() {
    this.follower.dismissError();
  }

  /** Saves the run as the host saved it, samples and all: the document followed here leaves them out. */
  async exportJson() {
    const run = this.run;
    if (!run) return;
    exportRunJson(run.configs.some(samplesLeftOut) ? await this.backend.invoke('runs.get', { id: run.id }) : run);
  }

  /** Every sample reaches the thinned series; the charts read it once per frame. */
  private addSamples(event: BenchProgressEvent) {
    if (event.configId !== this.samplesConfigId) {
      this.samples.reset();
      this.samplesConfigId = event.configId;
    }
    if (event.samplesMs.length > 0) this.samples.push(event.samplesMs);
  }

  private resetLive() {
    this.samples.reset();
    this.samplesConfigId = null;
    this.etaMs = null;
    this.live = NO_POINTS;
    this.liveConfigId = null;
  }
}
