import { untrack } from 'svelte';
import type { RequirementInput, Verdict } from '../../../shared/domain/advice';
import type { ErrorInfo } from '../../../shared/errors';
import { BackendError, type Backend } from '../backend';
import {
  buildRequirement,
  draftFromRequirement,
  emptyDraft,
  PRICE_DEFAULTS,
  pricedMachines,
  priceText,
  type PriceField,
  type PricedMachine,
  type RequirementBuild,
  type RequirementDraft,
} from '../logic/decide-form';
import {
  defaultSelection,
  remeasurePlan,
  selectedRuns,
  sweepOf,
  sweepPlan,
  sweepSize,
  type Sweep,
  type SweepRequest,
} from '../logic/decide-verdict';
import { errorInfoOf } from './app.svelte';
import type { Controllers } from './context';
import { RunFollower } from './run-follower.svelte';
import type { RunsController } from './runs.svelte';

/** Typing pauses this long before the verdict is asked for again. */
const VERDICT_DELAY_MS = 350;

export type ReportFormat = 'pdf' | 'csv' | 'json';
export type Paper = 'a4' | 'letter';

export type ExportOutcome = { fileName: string; savedTo: string | null; format: ReportFormat } | null;

interface VerdictRequest {
  runIds: string[];
  requirement: RequirementInput;
}

/**
 * The Decide view's state: which runs the answer rests on, the requirement as typed, the
 * verdict for them, a capacity sweep in progress, and report exports. The verdict follows the
 * form: each change asks again after a short pause, and only the latest answer is kept.
 */
export class DecideController {
  /** The person's ticks; null until they change one (then the newest run is the default). */
  ticked = $state.raw<string[] | null>(null);
  selection: string[] = $derived.by(() =>
    this.ticked === null ? defaultSelection(this.runs.list) : selectedRuns(this.runs.list, this.ticked),
  );

  /** The machines the ticked runs were measured on, this machine first: each can have a price of its own. */
  machines: PricedMachine[] = $derived.by(() => pricedMachines(this.runs.list.filter((run) => this.selection.includes(run.id))));

  draft = $state<RequirementDraft>(emptyDraft());
  /** The saved requirement has been read (or there was none): the form shows what to ask. */
  draftReady = $state(false);
  built: RequirementBuild = $derived(buildRequirement(this.draft));
  /** What the verdict would be asked for now; null while it cannot be asked. */
  requestKey: string | null = $derived.by(() => {
    if (!this.draftReady || this.selection.length === 0 || !this.built.ok) return null;
    return JSON.stringify({ runIds: this.selection, requirement: this.built.requirement } satisfies VerdictRequest);
  });

  verdict = $state.raw<Verdict | null>(null);
  /** The request the shown verdict answers. */
  verdictKey = $state<string | null>(null);
  computing = $state(false);
  error = $state.raw<ErrorInfo | null>(null);
  saveError = $state.raw<ErrorInfo | null>(null);
  /** The form or the ticks changed since the shown verdict was computed. */
  stale: boolean = $derived(this.verdict !== null && this.verdictKey !== this.requestKey);

  /** The sweep asked for; null when there is none to show. */
  private sweepRequest = $state.raw<SweepRequest | null>(null);
  /** Reading the base run and starting the new one. */
  private preparingSweep = $state(false);
  private sweepRequestError = $state.raw<ErrorInfo | null>(null);
  /** What the latest measurement started here was for: its card shows its progress and errors. */
  sweepKind = $state<SweepRequest['kind']>('capacity');
  sweep: Sweep | null = $derived.by(() =>
    sweepOf(this.sweepRequest, {
      preparing: this.preparingSweep,
      runId: this.sweepRun.runId,
      run: this.sweepRun.run,
      fraction: this.sweepRun.fraction,
    }),
  );
  sweeping: boolean = $derived(this.sweep?.status === 'starting' || this.sweep?.status === 'running');

  paper = $state<Paper>('a4');
  exporting = $state<ReportFormat | null>(null);
  exported = $state.raw<ExportOutcome>(null);
  exportError = $state.raw<ErrorInfo | null>(null);

  private started = false;
  private typed = false;
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly sweepRun: RunFollower;

  constructor(
    private readonly backend: Backend,
    private readonly runs: RunsController,
  ) {
    this.sweepRun = new RunFollower(backend, { ended: (run) => void this.weighIn(run.id, run.status === 'completed') });
  }

  get sweepError(): ErrorInfo | null {
    return this.sweepRequestError ?? this.sweepRun.error;
  }
  get cancellingSweep(): boolean {
    return this.sweepRun.cancelling;
  }

  /** Listens for the sweep's benchmark events; returns the cleanup. */
  connect(): () => void {
    const stop = this.sweepRun.connect();
    return () => {
      stop();
      if (this.timer !== null) clearTimeout(this.timer);
    };
  }

  /** Reads the run list and, once per page, the requirement saved last time. */
  async start() {
    void this.runs.refresh();
    if (this.started) return;
    this.started = true;
    try {
      const saved = await this.backend.invoke('requirement.get', {});
      // Whatever the person typed while it loaded wins over the saved requirement.
      if (!this.typed) this.draft = draftFromRequirement(saved);
    } catch (error) {
      this.error = errorInfoOf(error);
    } finally {
      this.draftReady = true;
    }
  }

  // --- the form

  /** Any edit of the form: a saved requirement arriving late must not overwrite it. */
  touched() {
    this.typed = true;
  }

  setPrice(field: PriceField, text: string) {
    this.typed = true;
    this.draft[field] = { text, assumed: false };
  }

  /** A machine's own price per hour; empty: priced as a CPU or GPU machine. */
  setMachinePrice(machineId: string, text: string) {
    this.typed = true;
    this.draft.machinePrices = { ...this.draft.machinePrices, [machineId]: text };
  }

  /** Back to the default, reported as an assumption again. */
  assumePrice(field: PriceField) {
    this.typed = true;
    this.draft[field] = { text: priceText(PRICE_DEFAULTS[field]), assumed: true };
  }

  toggleRun(id: string, checked: boolean) {
    const current = this.selection;
    this.ticked = checked ? [...current.filter((other) => other !== id), id] : current.filter((other) => other !== id);
  }

  // --- the verdict

  /** Asks for the verdict of `key` after a short pause; a newer key cancels the wait. */
  schedule(key: string | null) {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (key === null || key === this.verdictKey) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.compute(key);
    }, VERDICT_DELAY_MS);
  }

  /** Asks now (Enter in the form). */
  computeNow() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const key = this.requestKey;
    if (key !== null) void this.compute(key);
  }

  private async compute(key: string) {
    const request = JSON.parse(key) as VerdictRequest;
    const seq = ++this.seq;
    this.computing = true;
    try {
      const verdict = await this.backend.invoke('advise.verdict', request);
      if (seq !== this.seq) return;
      this.verdict = verdict;
      this.verdictKey = key;
      this.error = null;
      void this.save(request.requirement);
    } catch (error) {
      if (seq === this.seq) this.error = errorInfoOf(error);
    } finally {
      if (seq === this.seq) this.computing = false;
    }
  }

  /** The requirement a verdict was given for is the one the next visit (and the CLI's report) starts from. */
  private async save(requirement: RequirementInput) {
    try {
      await this.backend.invoke('requirement.save', { requirement });
      this.saveError = null;
    } catch (error) {
      this.saveError = errorInfoOf(error);
    }
  }

  // --- measuring capacity

  /** Measures the first ticked run's setups at concurrency 1, 2, 4 and 8, then adds that run to the ticked ones. */
  async measureCapacity() {
    const baseRunId = this.selection[0];
    if (baseRunId) await this.measure('capacity', baseRunId);
  }

  /**
   * Measures a run whose numbers were too uncertain for a verdict again, at its own levels and
   * for longer; the new run then takes its place among the ticked ones (the old one stays in the list).
   */
  async measureAgain(baseRunId: string) {
    await this.measure('again', baseRunId);
  }

  private async measure(kind: SweepRequest['kind'], baseRunId: string) {
    if (this.sweeping) return;
    this.sweepKind = kind;
    this.sweepRequestError = null;
    this.sweepRun.dismissError();
    this.sweepRun.clear();
    const summary = this.runs.list.find((run) => run.id === baseRunId);
    this.sweepRequest = { kind, baseRunId, model: summary?.model ?? '', configs: 0, estimateMs: 0 };
    this.preparingSweep = true;
    try {
      // The plan is all a sweep takes from it: its samples (megabytes for a long run) stay on the host.
      const base = await this.backend.invoke('runs.get', { id: baseRunId, samples: false });
      // A document from elsewhere names files on its own machine: this host never opens them on its say-so.
      if (base.importedFrom !== null) {
        throw new BackendError({
          code: 'NOT_SUPPORTED',
          message: 'This run was measured on another machine: measure the model here in Benchmark.',
        });
      }
      const plan = kind === 'capacity' ? sweepPlan(base) : remeasurePlan(base);
      this.sweepRequest = { kind, baseRunId, model: base.model.name, ...sweepSize(plan) };
      if (!(await this.sweepRun.start(plan))) this.sweepRequest = null;
    } catch (error) {
      this.sweepRequestError = errorInfoOf(error);
      this.sweepRequest = null;
    } finally {
      this.preparingSweep = false;
    }
  }

  async cancelSweep() {
    await this.sweepRun.cancel();
  }

  dismissSweep() {
    if (!this.sweeping) {
      this.sweepRequest = null;
      this.sweepRun.clear();
    }
    this.sweepRequestError = null;
    this.sweepRun.dismissError();
  }

  /**
   * A sweep that measured something joins the runs the verdict rests on; a run measured again
   * that finished replaces the one it repeats (one that was stopped early only joins it).
   */
  private async weighIn(runId: string, completed: boolean) {
    await this.runs.refresh();
    const saved = this.runs.list.find((run) => run.id === runId);
    if (!saved || saved.done === 0) return;
    const current = this.selection;
    const replaced = completed && this.sweepRequest?.kind === 'again' ? this.sweepRequest.baseRunId : null;
    if (!current.includes(runId) || (replaced !== null && current.includes(replaced))) {
      this.ticked = [...current.filter((id) => id !== replaced && id !== runId), runId];
    }
  }

  // --- reports

  /** A report of the ticked runs, with the verdict when the requirement is complete. */
  async exportReport(format: ReportFormat) {
    const runIds = this.selection;
    if (runIds.length === 0 || this.exporting !== null) return;
    this.exporting = format;
    this.exportError = null;
    this.exported = null;
    try {
      const built = this.built;
      const result = await this.backend.invoke('report.export', {
        runIds,
        requirement: built.ok ? built.requirement : null,
        format,
        paper: this.paper,
      });
      // null: the person closed the desktop app's save dialog.
      if (result === null) return;
      if (result.dataBase64 !== null) downloadBase64(result.fileName, result.dataBase64, result.mimeType);
      this.exported = { fileName: result.fileName, savedTo: result.savedTo, format };
    } catch (error) {
      this.exportError = errorInfoOf(error);
    } finally {
      this.exporting = null;
    }
  }

  dismissExport() {
    this.exported = null;
    this.exportError = null;
  }
}

/** Hands bytes the host made (a PDF) to the person as a download. */
export function downloadBase64(fileName: string, base64: string, mimeType: string): void {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // Chromium reads the blob after click() returns: revoking at once can cut the download short.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const controllers = new WeakMap<Backend, DecideController>();

/**
 * The page's one DecideController, made and connected on first use. It outlives the view, so
 * a sweep keeps going and the form keeps what was typed while the person looks elsewhere.
 */
export function decideController(shared: Pick<Controllers, 'backend' | 'runs'>): DecideController {
  const existing = controllers.get(shared.backend);
  if (existing) return existing;
  let controller!: DecideController;
  // Its own effect root: deriveds made while a view initialises would go stale with that view.
  $effect.root(() => {
    controller = new DecideController(shared.backend, shared.runs);
  });
  controller.connect();
  controllers.set(shared.backend, controller);
  return controller;
}

/** Follows the form and the ticks: every change asks for the verdict again after a pause. */
export function followVerdict(decide: DecideController): void {
  $effect(() => {
    const key = decide.requestKey;
    untrack(() => decide.schedule(key));
  });
}
