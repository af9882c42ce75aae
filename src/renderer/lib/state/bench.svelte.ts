import type { EventPayload } from '../../../shared/contract';
import type { ModelSource } from '../../../shared/domain/app';
import type { ModelInfo } from '../../../shared/domain/model';
import type { BenchProgressEvent, ConfigResult, RunDocument, RunStatus } from '../../../shared/domain/run';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import { buildPlan, defaultDraft, dimsDraft, readyProviders, sourceFromKey, sourceKey, type BenchDraft, type DraftField } from '../logic/bench-plan';
import { ThinnedSeries, type SamplePoints } from '../logic/latency-series';
import { estimateRemainingMs, finishedCount, runFraction, withConfig } from '../logic/run-results';
import { errorInfoOf } from './app.svelte';
import type { HardwareController } from './hardware.svelte';
import type { ModelController } from './model.svelte';

/** A model the plan form offers. */
export interface ModelChoice {
  key: string;
  label: string;
  /** Where it comes from: "Open in the Model view", "Sample", "Recent". */
  group: string;
  source: ModelSource;
}

/** Without any event for this long, a followed run is read from the run store instead. */
const SILENCE_BEFORE_POLL_MS = 2000;
const POLL_INTERVAL_MS = 2000;

const NO_POINTS: SamplePoints = { index: [], ms: [], total: 0 };

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
  /** The person's choice in the model picker; null follows the model open in the Model view. */
  chosenKey = $state<string | null>(null);
  chosenInfo = $state.raw<ModelInfo | null>(null);
  chosenLoading = $state(false);
  chosenError = $state.raw<ErrorInfo | null>(null);
  /** Errors are shown once the person has tried to start. */
  submitted = $state(false);

  // $derived.by: the constructor's parameters are not assigned yet when field initialisers run.
  private readonly openKey: string | null = $derived.by(() => (this.model.source && this.model.info ? sourceKey(this.model.source) : null));
  modelKey: string | null = $derived(this.chosenKey ?? this.openKey);
  source: ModelSource | null = $derived(this.modelKey === null ? null : sourceFromKey(this.modelKey));
  info: ModelInfo | null = $derived.by(() => (this.modelKey !== null && this.modelKey === this.openKey ? this.model.info : this.chosenInfo));

  /** The symbolic dims as typed; follows the model whenever a different one is chosen. */
  dims: Record<string, string> = $derived(dimsDraft(this.info?.dims ?? []));
  /** The person's ticks; null until they change one (a detection finishing later must not undo them). */
  epChoice = $state.raw<string[] | null>(null);
  /** Ticked providers: every ready one until the person changes the ticks. */
  eps: string[] = $derived.by(() => this.epChoice ?? readyProviders(this.hardware.providers));

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

  plan = $derived(buildPlan({ ...this.draft, dims: this.dims }, this.source, this.eps));
  errors: Partial<Record<DraftField, string>> = $derived(this.submitted && !this.plan.ok ? this.plan.errors : {});

  // --- the run
  run = $state.raw<RunDocument | null>(null);
  progress = $state.raw<BenchProgressEvent | null>(null);
  /** Whole run, 0–1; never moves backwards. */
  fraction = $state(0);
  etaMs = $state<number | null>(null);
  /** The current configuration's samples, thinned for the live charts. */
  live = $state.raw<SamplePoints>(NO_POINTS);
  liveConfigId = $state<string | null>(null);
  starting = $state(false);
  cancelling = $state(false);
  error = $state.raw<ErrorInfo | null>(null);
  /** Picked up after a reload: this page gets the run's results, not its live samples. */
  resumed = $state(false);

  running: boolean = $derived(this.run?.status === 'running');

  private runId: string | null = null;
  private awaitingStart = false;
  /** Configurations that finished before 'bench.start' answered. */
  private early: ConfigResult[] = [];
  private earlyStatus: RunStatus | null = null;
  private readonly samples = new ThinnedSeries();
  private samplesConfigId: string | null = null;
  private pending: BenchProgressEvent | null = null;
  private frame: number | null = null;
  private startedAt = 0;
  private lastEventAt = 0;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private inspectSeq = 0;

  constructor(
    private readonly backend: Backend,
    private readonly model: ModelController,
    private readonly hardware: HardwareController,
  ) {}

  /** Listens for benchmark events and picks up a run the host is still measuring; returns the cleanup. */
  connect(): () => void {
    const stops = [
      this.backend.on('bench.started', (event) => this.onStarted(event)),
      this.backend.on('bench.progress', (event) => this.onProgress(event)),
      this.backend.on('bench.config', (event) => this.onConfig(event)),
      this.backend.on('bench.finished', (event) => this.onFinished(event)),
    ];
    void this.resume();
    return () => {
      stops.forEach((stop) => stop());
      this.stopPolling();
      if (this.frame !== null) cancelAnimationFrame(this.frame);
      this.frame = null;
    };
  }

  // --- form actions

  async chooseModel(key: string) {
    const source = sourceFromKey(key);
    if (!source) return;
    this.chosenKey = key;
    this.chosenError = null;
    if (key === this.openKey) return;
    const seq = ++this.inspectSeq;
    this.chosenInfo = null;
    this.chosenLoading = true;
    try {
      const info = await this.backend.invoke('model.inspect', { source });
      if (seq === this.inspectSeq) this.chosenInfo = info;
    } catch (error) {
      if (seq === this.inspectSeq) this.chosenError = errorInfoOf(error);
    } finally {
      if (seq === this.inspectSeq) this.chosenLoading = false;
    }
  }

  setEp(name: string, checked: boolean) {
    const ticked = checked ? [...this.eps, name] : this.eps.filter((ep) => ep !== name);
    // In the Hardware view's order, so configurations run in the same order whatever the clicks.
    this.epChoice = this.hardware.providers.map((provider) => provider.name).filter((ep) => ticked.includes(ep));
  }

  setDim(name: string, value: string) {
    this.dims = { ...this.dims, [name]: value };
  }

  // --- run actions

  async start() {
    this.submitted = true;
    const built = this.plan;
    if (!built.ok || this.starting || this.running) return;
    this.starting = true;
    this.error = null;
    this.resetLive();
    this.runId = null;
    this.early = [];
    this.earlyStatus = null;
    this.awaitingStart = true;
    try {
      const doc = await this.backend.invoke('bench.start', { plan: built.plan });
      this.adopt(doc, false);
    } catch (error) {
      this.error = errorInfoOf(error);
    } finally {
      this.awaitingStart = false;
      this.starting = false;
    }
  }

  async cancel() {
    const id = this.runId;
    if (!id || !this.running || this.cancelling) return;
    this.cancelling = true;
    try {
      const { cancelled } = await this.backend.invoke('bench.cancel', { runId: id });
      // Already over: the store has the final word.
      if (!cancelled) await this.reload();
    } catch (error) {
      this.error = errorInfoOf(error);
      this.cancelling = false;
    }
  }

  dismissError() {
    this.error = null;
  }

  // --- events

  private onStarted(event: EventPayload<'bench.started'>) {
    if (this.awaitingStart && this.runId === null) {
      this.runId = event.runId;
      this.startedAt = Date.now();
    }
  }

  private onProgress(event: BenchProgressEvent) {
    if (event.runId !== this.runId) return;
    this.lastEventAt = Date.now();
    if (event.configId !== this.samplesConfigId) {
      this.samples.reset();
      this.samplesConfigId = event.configId;
    }
    if (event.samplesMs.length > 0) this.samples.push(event.samplesMs);
    this.pending = event;
    this.frame ??= requestAnimationFrame(() => this.flush());
  }

  private onConfig(event: EventPayload<'bench.config'>) {
    if (event.runId !== this.runId) return;
    this.lastEventAt = Date.now();
    if (this.run) this.run = withConfig(this.run, event.config);
    else this.early.push(event.config);
  }

  private onFinished(event: EventPayload<'bench.finished'>) {
    if (event.runId !== this.runId) return;
    if (!this.run) {
      this.earlyStatus = event.status;
      return;
    }
    this.run = { ...this.run, status: event.status };
    this.ended();
    // The saved document carries what events do not: run warnings, finish time.
    void this.reload();
  }

  /** Applies the latest progress once per frame, however many events came in between. */
  private flush() {
    this.frame = null;
    const event = this.pending;
    this.pending = null;
    if (!event || !this.run || event.runId !== this.run.id) return;
    this.progress = event;
    this.fraction = Math.max(this.fraction, runFraction(event, this.run.plan));
    this.etaMs = estimateRemainingMs(this.fraction, Date.now() - this.startedAt, event.etaMs);
    this.live = this.samples.snapshot();
    this.liveConfigId = event.configId;
  }

  private adopt(doc: RunDocument, resumed: boolean) {
    this.runId = doc.id;
    let adopted = doc;
    for (const config of this.early) adopted = withConfig(adopted, config);
    if (this.earlyStatus) adopted = { ...adopted, status: this.earlyStatus };
    this.early = [];
    this.earlyStatus = null;
    this.run = adopted;
    this.resumed = resumed;
    if (resumed) this.startedAt = Date.parse(doc.createdAt) || Date.now();
    else if (!this.startedAt) this.startedAt = Date.now();
    this.lastEventAt = Date.now();
    if (adopted.status === 'running') this.startPolling();
    else this.ended();
  }

  private async resume() {
    try {
      const active = await this.backend.invoke('bench.active', {});
      const id = active[active.length - 1];
      if (!id || this.runId !== null || this.awaitingStart) return;
      const doc = await this.backend.invoke('runs.get', { id });
      if (this.runId !== null || this.awaitingStart) return;
      this.resetLive();
      this.fraction = doc.configs.length > 0 ? finishedCount(doc) / doc.configs.length : 0;
      this.adopt(doc, true);
    } catch (error) {
      this.error = errorInfoOf(error);
    }
  }

  private async reload() {
    const id = this.runId;
    if (!id) return;
    try {
      const doc = await this.backend.invoke('runs.get', { id });
      if (id !== this.runId) return;
      this.run = doc;
      if (doc.status !== 'running') this.ended();
      else if (!this.progress || this.resumed) this.fraction = Math.max(this.fraction, finishedCount(doc) / Math.max(1, doc.configs.length));
    } catch (error) {
      this.error = errorInfoOf(error);
    }
  }

  private ended() {
    this.stopPolling();
    this.cancelling = false;
    if (this.run?.status === 'completed') this.fraction = 1;
    this.etaMs = null;
  }

  /**
   * Events go to the page that started the run; a page that picked the run up after a reload
   * (or a second window) reads the saved document until the run ends.
   */
  private startPolling() {
    this.stopPolling();
    this.pollTimer = setInterval(() => {
      if (!this.running) {
        this.stopPolling();
        return;
      }
      if (Date.now() - this.lastEventAt >= SILENCE_BEFORE_POLL_MS) void this.reload();
    }, POLL_INTERVAL_MS);
  }

  private stopPolling() {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  private resetLive() {
    this.samples.reset();
    this.samplesConfigId = null;
    this.pending = null;
    this.progress = null;
    this.fraction = 0;
    this.etaMs = null;
    this.live = NO_POINTS;
    this.liveConfigId = null;
    this.resumed = false;
    this.startedAt = 0;
  }
}
