import type { EventPayload } from '../../../shared/contract';
import type { ConfigCharts } from '../../../shared/domain/config-charts';
import { LOCAL_MACHINE_ID } from '../../../shared/domain/machine';
import type { BenchPlanInput } from '../../../shared/domain/plan';
import type { BenchProgressEvent, RunDocument } from '../../../shared/domain/run';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import {
  eventTarget,
  finishedFraction,
  isSilent,
  noEarlyEvents,
  POLL_INTERVAL_MS,
  withEarlyEvents,
  type EarlyEvents,
} from '../logic/run-follow';
import { runFraction, withConfig } from '../logic/run-results';
import { errorInfoOf } from './app.svelte';

/** Extra work a view does on top of following a run. */
export interface RunFollowerHooks {
  /** A new run is about to be followed: drop what was kept of the previous one. */
  forget?(): void;
  /** Every progress event of the followed run, as it arrives (the live charts' samples). */
  sample?(event: BenchProgressEvent): void;
  /** `progress` and `fraction` now show `event`. */
  progressed?(event: BenchProgressEvent, run: RunDocument): void;
  /** The run has come to an end, whatever the end was; once per run. */
  ended?(run: RunDocument): void;
}

export interface RunFollowerOptions extends RunFollowerHooks {
  /**
   * Progress events come up to 20 a second: show only the latest, in an animation frame, at most
   * every {@link SHOW_PROGRESS_EVERY_MS}, however many came in between (`sample` still sees every
   * one). On unless set to false.
   */
  perFrame?: boolean;
}

/**
 * How often a followed run's progress (and the live charts drawn from it) is shown at most. Five
 * times a second reads as live; redrawing twenty times a second kept the page busy enough for its
 * tasks to run past 50 ms while a run streams.
 */
export const SHOW_PROGRESS_EVERY_MS = 200;

/**
 * One benchmark run as a view follows it: started here with 'bench.start' (or picked up from the
 * host after a reload), its document kept current from 'bench.config' / 'bench.finished', its
 * progress from 'bench.progress', and the saved document read instead when events stop coming
 * (a page that did not start the run gets none). Several views each follow their own run; every
 * follower sees every run's events and keeps only its own.
 */
export class RunFollower {
  /** The run followed: named by its first event or by the answer, whichever comes first. */
  runId = $state<string | null>(null);
  /** Its document; the previous run's stays shown while a new one starts, unless cleared. */
  run = $state.raw<RunDocument | null>(null);
  /**
   * The charts of its finished configurations, by id, as their events carried them: the document
   * has no samples for those (see 'bench.config'), unless it was read whole from the host.
   */
  charts = $state.raw<Readonly<Record<string, ConfigCharts>>>({});
  progress = $state.raw<BenchProgressEvent | null>(null);
  /** Whole run, 0–1; never moves backwards. */
  fraction = $state(0);
  starting = $state(false);
  cancelling = $state(false);
  error = $state.raw<ErrorInfo | null>(null);
  /** Picked up from the host (after a reload): events go to the page that started it, so this one reads the store. */
  resumed = $state(false);

  running: boolean = $derived(this.run?.status === 'running');

  /** When the run began as far as this page knows; 0 before it does. */
  startedAt = 0;

  private awaitingStart = false;
  private early: EarlyEvents = noEarlyEvents();
  private lastEventAt = 0;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private pending: BenchProgressEvent | null = null;
  private frame: number | null = null;
  private frameTimer: ReturnType<typeof setTimeout> | null = null;
  private shownAt = 0;
  private endedRunId: string | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly options: RunFollowerOptions = {},
  ) {}

  /** Listens for the runs' events; returns the cleanup. */
  connect(): () => void {
    const stops = [
      this.backend.on('bench.started', (event) => this.onStarted(event)),
      this.backend.on('bench.progress', (event) => this.onProgress(event)),
      this.backend.on('bench.config', (event) => this.onConfig(event)),
      this.backend.on('bench.finished', (event) => this.onFinished(event)),
    ];
    return () => {
      stops.forEach((stop) => stop());
      this.stopPolling();
      this.dropFrame();
    };
  }

  /**
   * Starts measuring `plan` (on `machine`, a saved machine's id, when given: docs/machines.md) and follows it; the
   * document, or null when it could not start (see `error`).
   */
  async start(plan: BenchPlanInput, machine?: string): Promise<RunDocument | null> {
    if (this.starting || this.running) return null;
    this.starting = true;
    this.error = null;
    this.forget();
    this.runId = null;
    this.early = noEarlyEvents();
    this.awaitingStart = true;
    try {
      const doc = await this.backend.invoke('bench.start', machine && machine !== LOCAL_MACHINE_ID ? { plan, machine } : { plan });
      this.adopt(doc, false);
      return this.run;
    } catch (error) {
      this.error = errorInfoOf(error);
      return null;
    } finally {
      this.awaitingStart = false;
      this.starting = false;
    }
  }

  /** Follows the newest run the host is still measuring, unless this page has started one meanwhile. */
  async resumeActive() {
    try {
      const active = await this.backend.invoke('bench.active', {});
      const id = active[active.length - 1];
      if (!id || this.runId !== null || this.awaitingStart) return;
      const doc = await this.backend.invoke('runs.get', { id });
      if (this.runId !== null || this.awaitingStart) return;
      this.forget();
      this.fraction = finishedFraction(doc);
      this.adopt(doc, true);
    } catch (error) {
      this.error = errorInfoOf(error);
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

  /** Reads the followed run's saved document. */
  async reload() {
    const id = this.runId;
    if (!id) return;
    // Samples are read only for what has no charts yet: a page that picked the run up from the host
    // has them for what finished before; one that followed it has every chart already.
    const samples = this.run?.configs.some((config) => config.samples.length > 0 && !(config.id in this.charts)) ?? true;
    try {
      const doc = await this.backend.invoke('runs.get', { id, samples });
      if (id !== this.runId) return;
      this.run = doc;
      if (doc.status !== 'running') this.ended();
      else if (!this.progress || this.resumed) this.fraction = Math.max(this.fraction, finishedFraction(doc));
    } catch (error) {
      this.error = errorInfoOf(error);
    }
  }

  /** Stops showing a run that has ended (another model, a dismissed result); a run still going is kept. */
  clear() {
    if (this.starting || this.running) return;
    this.forget();
    this.runId = null;
    this.run = null;
  }

  dismissError() {
    this.error = null;
  }

  // --- events

  private onStarted(event: EventPayload<'bench.started'>) {
    if (!this.awaitingStart || this.runId !== null) return;
    this.runId = event.runId;
    this.early = noEarlyEvents(event.runId);
    this.startedAt = Date.now();
  }

  private onProgress(event: BenchProgressEvent) {
    if (event.runId !== this.runId) return;
    this.lastEventAt = Date.now();
    this.options.sample?.(event);
    if (this.options.perFrame === false) return this.showProgress(event);
    this.pending = event;
    if (this.frame !== null || this.frameTimer !== null) return;
    const wait = this.shownAt + SHOW_PROGRESS_EVERY_MS - performance.now();
    if (wait <= 0) return this.requestFrame();
    this.frameTimer = setTimeout(() => {
      this.frameTimer = null;
      this.requestFrame();
    }, wait);
  }

  /** Shows the latest pending progress in the next animation frame. */
  private requestFrame() {
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.shownAt = performance.now();
      const latest = this.pending;
      this.pending = null;
      if (latest) this.showProgress(latest);
    });
  }

  private onConfig(event: EventPayload<'bench.config'>) {
    const target = eventTarget(event.runId, this.runId, this.run);
    if (target === 'ignore') return;
    this.lastEventAt = Date.now();
    if (event.charts) this.charts = { ...this.charts, [event.config.id]: event.charts };
    if (target === 'document' && this.run) this.run = withConfig(this.run, event.config);
    else this.early.configs.push(event.config);
  }

  private onFinished(event: EventPayload<'bench.finished'>) {
    const target = eventTarget(event.runId, this.runId, this.run);
    if (target === 'ignore') return;
    if (target === 'early' || !this.run) {
      this.early.status = event.status;
      return;
    }
    this.run = { ...this.run, status: event.status, error: event.error ?? this.run.error };
    this.ended();
    // The saved document carries what events do not: run warnings, finish time.
    void this.reload();
  }

  private showProgress(event: BenchProgressEvent) {
    const run = this.run;
    if (!run || event.runId !== run.id) return;
    this.progress = event;
    this.fraction = Math.max(this.fraction, runFraction(event, run.plan));
    this.options.progressed?.(event, run);
  }

  private adopt(doc: RunDocument, resumed: boolean) {
    const adopted = withEarlyEvents(doc, this.early);
    this.early = noEarlyEvents();
    this.runId = doc.id;
    this.run = adopted;
    this.resumed = resumed;
    if (resumed) this.startedAt = Date.parse(doc.createdAt) || Date.now();
    else if (!this.startedAt) this.startedAt = Date.now();
    this.lastEventAt = Date.now();
    if (adopted.status === 'running') this.startPolling();
    else this.ended();
  }

  private ended() {
    this.stopPolling();
    this.dropFrame();
    this.cancelling = false;
    const run = this.run;
    if (!run) return;
    if (run.status === 'completed') this.fraction = 1;
    if (this.endedRunId === run.id) return;
    this.endedRunId = run.id;
    this.options.ended?.(run);
  }

  private forget() {
    this.dropFrame();
    this.charts = {};
    this.progress = null;
    this.fraction = 0;
    this.resumed = false;
    this.startedAt = 0;
    this.options.forget?.();
  }

  private startPolling() {
    this.stopPolling();
    this.pollTimer = setInterval(() => {
      if (!this.running) return this.stopPolling();
      if (isSilent(this.lastEventAt, Date.now())) void this.reload();
    }, POLL_INTERVAL_MS);
  }

  private stopPolling() {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  private dropFrame() {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    if (this.frameTimer !== null) clearTimeout(this.frameTimer);
    this.frame = null;
    this.frameTimer = null;
    this.pending = null;
  }
}
