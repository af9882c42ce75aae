import { untrack } from 'svelte';
import type { ModelSource } from '../../../shared/domain/app';
import type { QuantizeMode } from '../../../shared/domain/quantize';
import { formatInputValues, type InputValues } from '../../../shared/domain/input-values';
import { sameProfile } from '../../../shared/domain/profile';
import type { ModeAvailability, QuantizeProgress, QuantizeRequestInput, Variant } from '../../../shared/domain/variant';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import { readyProviders, sourceKey } from '../logic/bench-plan';
import {
  buildComparePlan,
  COMPARE_MAX_TIME_S,
  COMPARE_MIN_TIME_S,
  defaultCompareVariantIds,
  parseCompareTimes,
} from '../logic/quantize-compare';
import { requantizeRequest, worstToExclude } from '../logic/quantize-layers';
import {
  buildQuantizeRequest,
  DEFAULT_EVALUATION_SAMPLES,
  defaultDataDraft,
  defaultModeDrafts,
  newJobId,
  QUANTIZE_MODES,
  type DataDraft,
  type ModeDraft,
  type QuantizeField,
} from '../logic/quantize-options';
import { jobFraction } from '../logic/quantize-progress';
import { errorInfoOf } from './app.svelte';
import type { Controllers } from './context';
import type { HardwareController } from './hardware.svelte';
import type { ModelController } from './model.svelte';
import { RunFollower } from './run-follower.svelte';
import { LOCAL_MACHINE_ID, type Machine } from '../../../shared/domain/machine';
import type { ProviderStatus } from '../../../shared/domain/hardware';
import { machineProviders } from '../logic/machines';
import { machinesController, type MachinesController } from './machines.svelte';

export interface QuantizeJob {
  jobId: string;
  mode: QuantizeMode;
  /** The model the job transforms: its variant belongs to that model's list. */
  key: string;
}

/** How the last job ended, for the line under the button. */
export type JobOutcome = { kind: 'made'; variantId: string } | { kind: 'cancelled' } | null;

export type ExportState = { id: string; state: 'saving' } | { id: string; state: 'saved'; path: string } | null;

/**
 * The Quantize view's state: which transformations apply to the open model, the options being
 * edited, the job making a variant, the model's variants, and the side-by-side speed comparison.
 * Lives as long as the page, so switching views never loses a job or a comparison in progress.
 */
export class QuantizeController {
  // --- the model and what applies to it
  modes = $state.raw<ModeAvailability[]>([]);
  modesLoading = $state(false);
  modesError = $state.raw<ErrorInfo | null>(null);
  variants = $state.raw<Variant[]>([]);
  variantsLoaded = $state(false);
  variantsError = $state.raw<ErrorInfo | null>(null);

  // --- the form
  /** The person's pick; the first applicable mode until they pick one. */
  chosenMode = $state<QuantizeMode | null>(null);
  drafts = $state<Record<QuantizeMode, ModeDraft>>(defaultModeDrafts());
  data = $state<DataDraft>(defaultDataDraft());
  evaluationSamples = $state(String(DEFAULT_EVALUATION_SAMPLES));
  /** NAME=VALUE, …: inputs that must not be random (a sample rate, a recurrent state), as `--input` in the CLI. */
  inputValues: string = $derived.by(() => formatInputValues(this.model.info?.profile?.values ?? {}));
  /** Field errors show once the person has tried to make a variant. */
  submitted = $state(false);

  // --- the job
  job = $state.raw<QuantizeJob | null>(null);
  progress = $state.raw<QuantizeProgress | null>(null);
  /** Whole job, 0–1; never moves backwards. */
  fraction = $state(0);
  cancelling = $state(false);
  jobError = $state.raw<ErrorInfo | null>(null);
  outcome = $state.raw<JobOutcome>(null);

  // --- the variants list
  confirmingDelete = $state<string | null>(null);
  exporting = $state.raw<ExportState>(null);
  listError = $state.raw<ErrorInfo | null>(null);

  // --- side by side
  /** Ticked variants; null until the person changes a tick (until then every variant but the unusable ones is ticked). */
  compareChoice = $state.raw<string[] | null>(null);
  compareEpChoice = $state.raw<string[] | null>(null);
  compareMinTimeS = $state(String(COMPARE_MIN_TIME_S));
  compareMaxTimeS = $state(String(COMPARE_MAX_TIME_S));

  // --- where (docs/machines.md): variants are made, kept and measured on one machine at a time
  machineId = $state<string>(LOCAL_MACHINE_ID);
  machine: Machine | null = $derived.by(() => this.machines.list.find((m) => m.id === this.machineId) ?? null);
  /** The chosen machine's providers: this machine's detection, or what another machine's last check found. */
  providers: readonly ProviderStatus[] = $derived.by(() =>
    this.machine && !this.machine.local ? machineProviders(this.machine, this.hardware.providers) : this.hardware.providers,
  );

  // $derived.by: the constructor's parameters are not assigned yet when field initialisers run.
  source: ModelSource | null = $derived.by(() => (this.model.info ? this.model.source : null));
  key: string | null = $derived(this.source ? sourceKey(this.source) : null);
  /** What the modes and variants shown were read for: the model on the chosen machine. */
  followed: string | null = $derived(this.key === null ? null : `${this.key}@${this.machineId}`);

  mode: QuantizeMode = $derived.by(() => {
    if (this.chosenMode) return this.chosenMode;
    return this.modes.find((entry) => entry.ok)?.mode ?? QUANTIZE_MODES[0] ?? 'int8-dynamic';
  });
  availability: ModeAvailability | null = $derived(this.modes.find((entry) => entry.mode === this.mode) ?? null);
  /** The mode can be tried: known to apply, or not reported on (the services then say why not). */
  modeUsable: boolean = $derived(this.availability?.ok ?? this.modes.length === 0);

  request = $derived.by(() => {
    const source = this.source;
    if (!source) return null;
    return buildQuantizeRequest({
      source,
      mode: this.mode,
      draft: this.drafts[this.mode],
      data: this.data,
      evaluationSamples: this.evaluationSamples,
      inputValues: this.inputValues,
      cpu: this.hardware.profile?.cpu ?? null,
    });
  });
  errors: Partial<Record<QuantizeField, string>> = $derived(this.submitted && this.request && !this.request.ok ? this.request.errors : {});
  running: boolean = $derived(this.job !== null);

  readyEps: string[] = $derived.by(() => readyProviders(this.providers));
  /** Ticked providers: the ready ones that are real hardware until the person changes a tick. */
  compareEps: string[] = $derived.by(() => {
    if (this.compareEpChoice) return this.compareEpChoice.filter((ep) => this.readyEps.includes(ep));
    const software = this.providers.filter((p) => p.software).map((p) => p.name);
    return this.readyEps.filter((ep) => !software.includes(ep));
  });
  compareVariantIds: string[] = $derived.by(() => {
    const ids = this.variants.map((variant) => variant.id);
    return this.compareChoice ? this.compareChoice.filter((id) => ids.includes(id)) : defaultCompareVariantIds(this.variants);
  });
  compareTimes = $derived(parseCompareTimes(this.compareMinTimeS, this.compareMaxTimeS));

  private loadedKey: string | null = null;
  private loadSeq = 0;
  /** The side-by-side speed comparison's run: its document, progress, cancel and errors. */
  readonly comparison: RunFollower;
  readonly machines: MachinesController;

  constructor(
    private readonly backend: Backend,
    private readonly model: ModelController,
    private readonly hardware: HardwareController,
  ) {
    this.comparison = new RunFollower(backend);
    this.machines = machinesController(backend);
  }

  /** The machine variants are made, listed and measured on; its modes and variants are read again. */
  setMachine(id: string) {
    if (this.job || id === this.machineId) return;
    this.machineId = id;
    this.compareEpChoice = null;
  }

  /** The request's `machine`, left out for this machine. */
  private get on(): { machine: string } | Record<string, never> {
    return this.machineId === LOCAL_MACHINE_ID ? {} : { machine: this.machineId };
  }

  /** Listens for job and benchmark events; returns the cleanup. */
  connect(): () => void {
    const stops = [this.backend.on('quantize.progress', (event) => this.onJobProgress(event)), this.comparison.connect()];
    return () => stops.forEach((stop) => stop());
  }

  /** Reads what applies to the model open in the Model view and its variants, once per model. */
  follow() {
    const key = this.followed;
    if (key === this.loadedKey) return;
    this.loadedKey = key;
    // Only the model's key is what an effect calling this depends on.
    untrack(() => this.reset());
  }

  private reset() {
    this.loadSeq += 1;
    this.modes = [];
    this.variants = [];
    this.variantsLoaded = false;
    this.modesError = null;
    this.variantsError = null;
    this.listError = null;
    this.chosenMode = null;
    this.compareChoice = null;
    this.confirmingDelete = null;
    this.outcome = null;
    this.submitted = false;
    // Exclude lists name nodes of one model: they mean nothing for the next one.
    for (const mode of QUANTIZE_MODES) this.drafts[mode].exclude = this.drafts[mode].include = '';
    this.comparison.clear();
    const source = this.source;
    if (!source) return;
    void this.loadModes(source, this.loadSeq);
    void this.loadVariants(source, this.loadSeq);
  }

  async reloadVariants() {
    if (this.source) await this.loadVariants(this.source, this.loadSeq);
  }

  private async loadModes(source: ModelSource, seq: number) {
    this.modesLoading = true;
    try {
      const modes = await this.backend.invoke('quantize.modes', { source, ...this.on });
      if (seq === this.loadSeq) this.modes = modes;
    } catch (error) {
      if (seq === this.loadSeq) this.modesError = errorInfoOf(error);
    } finally {
      if (seq === this.loadSeq) this.modesLoading = false;
    }
  }

  private async loadVariants(source: ModelSource, seq: number) {
    try {
      const variants = await this.backend.invoke('variants.list', { source, ...this.on });
      if (seq !== this.loadSeq) return;
      this.variants = variants;
      this.variantsError = null;
      this.variantsLoaded = true;
    } catch (error) {
      if (seq === this.loadSeq) this.variantsError = errorInfoOf(error);
    }
  }

  // --- the form

  chooseMode(mode: QuantizeMode) {
    this.chosenMode = mode;
  }

  /** Puts a variant's own options back in the form, to adjust and make again. */
  reuse(variant: Variant) {
    const draft = this.drafts[variant.mode];
    const options = variant.options;
    const toggle = (value: boolean | undefined) => (value === undefined ? 'auto' : value ? 'on' : 'off');
    if (options.perChannel !== undefined) draft.perChannel = options.perChannel;
    draft.quantizeLstm = options.quantizeLstm ?? false;
    draft.weightType = options.weightType ?? 'auto';
    draft.activationType = options.activationType ?? 'auto';
    draft.reduceRange = toggle(options.reduceRange);
    draft.symmetric = toggle(options.symmetric);
    if (options.calibrationMethod) draft.calibrationMethod = options.calibrationMethod;
    draft.movingAverage = options.movingAverage ?? false;
    if (options.percentile !== undefined) draft.percentile = String(options.percentile);
    if (options.bins !== undefined) draft.bins = String(options.bins);
    if (options.blockSize !== undefined) draft.blockSize = options.blockSize;
    draft.accuracyLevel = options.accuracyLevel ?? 0;
    if (options.keepIoTypes !== undefined) draft.keepIoTypes = options.keepIoTypes;
    draft.blockList = (options.blockList ?? []).join(', ');
    draft.include = (options.include ?? []).join('\n');
    draft.exclude = (options.exclude ?? []).join('\n');
    this.chosenMode = variant.mode;
  }

  // --- the job

  async make() {
    this.submitted = true;
    const built = this.request;
    if (!built?.ok || !this.modeUsable) return;
    await this.keepValues(built.request.inputValues ?? {});
    await this.start(built.request);
  }

  /** Input values typed here become part of the model's input profile (kept with its dims), as Benchmark does. */
  private async keepValues(values: InputValues) {
    const info = this.model.info;
    const source = this.source;
    if (!info || !source || sameProfile(info.profile ?? null, info.profile?.dims ?? {}, values)) return;
    try {
      this.model.info = await this.backend.invoke('model.inspect', { source, dims: info.profile?.dims ?? {}, values, saveProfile: true });
    } catch {
      // The job itself reports what is wrong with the model.
    }
  }

  /**
   * Makes `variant` again with its `count` worst transformed layers left in float: its own options
   * plus those names in the exclude list, on the inputs the form describes. The new variant has
   * other options, so it joins the list beside the first instead of replacing it.
   */
  async requantize(variant: Variant, count: number | 'auto') {
    const source = this.source;
    if (!source || this.job) return;
    // 'auto': the services leave the worst layers in float a few at a time until the verdict is good.
    const nodes = count === 'auto' ? [] : worstToExclude(variant.report, count);
    const built = requantizeRequest({
      variant,
      nodes,
      source,
      data: this.data,
      evaluationSamples: this.evaluationSamples,
      inputValues: this.inputValues,
      auto: count === 'auto',
    });
    if (!built.ok) {
      // The form's data fields are what is wrong: show them marked.
      this.submitted = true;
      return;
    }
    // The form follows, so the next attempt by hand starts from these exclusions.
    this.drafts[variant.mode].exclude = (built.request.options.exclude ?? []).join('\n');
    this.drafts[variant.mode].include = (built.request.options.include ?? []).join('\n');
    this.chosenMode = variant.mode;
    await this.start(count === 'auto' ? { ...built.request, autoExclude: true } : built.request);
  }

  private async start(request: Omit<QuantizeRequestInput, 'jobId'>) {
    const key = this.key;
    if (!key || this.job) return;
    const job: QuantizeJob = { jobId: newJobId(), mode: request.options.mode, key };
    this.job = job;
    this.progress = null;
    this.fraction = 0;
    this.jobError = null;
    this.outcome = null;
    try {
      const variant = await this.backend.invoke('quantize.run', { request: { ...request, jobId: job.jobId }, ...this.on });
      if (this.key === job.key) {
        // Same options on the same model give the same id: the new variant replaces the old one.
        this.variants = [variant, ...this.variants.filter((entry) => entry.id !== variant.id)];
        this.outcome = { kind: 'made', variantId: variant.id };
      }
    } catch (error) {
      const info = errorInfoOf(error);
      if (info.code === 'CANCELLED') this.outcome = { kind: 'cancelled' };
      else this.jobError = info;
    } finally {
      if (this.job?.jobId === job.jobId) {
        this.job = null;
        this.progress = null;
        this.cancelling = false;
      }
    }
  }

  async cancel() {
    const job = this.job;
    if (!job || this.cancelling) return;
    this.cancelling = true;
    try {
      await this.backend.invoke('quantize.cancel', { jobId: job.jobId });
    } catch (error) {
      this.jobError = errorInfoOf(error);
      this.cancelling = false;
    }
  }

  dismissJobError() {
    this.jobError = null;
  }

  private onJobProgress(event: QuantizeProgress) {
    const job = this.job;
    if (!job || event.jobId !== job.jobId) return;
    this.progress = event;
    this.fraction = Math.max(this.fraction, jobFraction(job.mode, event));
  }

  // --- the variants list

  askDelete(id: string) {
    this.confirmingDelete = id;
  }

  keep() {
    this.confirmingDelete = null;
  }

  async remove(id: string) {
    this.confirmingDelete = null;
    try {
      await this.backend.invoke('variants.delete', { id });
      this.variants = this.variants.filter((variant) => variant.id !== id);
      this.listError = null;
      if (this.outcome?.kind === 'made' && this.outcome.variantId === id) this.outcome = null;
    } catch (error) {
      this.listError = errorInfoOf(error);
    }
  }

  /** The desktop app asks where to save; the browser host downloads through a link instead (see VariantActions). */
  async exportWithDialog(id: string) {
    this.exporting = { id, state: 'saving' };
    try {
      const saved = await this.backend.invoke('variants.export', { id });
      this.exporting = saved ? { id, state: 'saved', path: saved.path } : null;
    } catch (error) {
      this.exporting = null;
      this.listError = errorInfoOf(error);
    }
  }

  dismissListError() {
    this.listError = null;
  }

  // --- side by side

  setCompareVariant(id: string, checked: boolean) {
    const ticked = checked ? [...this.compareVariantIds, id] : this.compareVariantIds.filter((entry) => entry !== id);
    this.compareChoice = this.variants.map((variant) => variant.id).filter((entry) => ticked.includes(entry));
  }

  setCompareEp(name: string, checked: boolean) {
    const ticked = checked ? [...this.compareEps, name] : this.compareEps.filter((ep) => ep !== name);
    this.compareEpChoice = this.providers.map((provider) => provider.name).filter((ep) => ticked.includes(ep));
  }

  async compare() {
    const source = this.source;
    const times = this.compareTimes;
    if (!source || !times.ok || this.comparison.starting || this.comparison.running) return;
    if (this.compareVariantIds.length === 0 || this.compareEps.length === 0) return;
    const plan = buildComparePlan({
      source,
      variantIds: this.compareVariantIds,
      eps: this.compareEps,
      minTimeMs: times.minTimeMs,
      maxTimeMs: times.maxTimeMs,
    });
    // The previous comparison's results go: they were for other variants or providers.
    this.comparison.clear();
    await this.comparison.start(plan, this.machineId);
  }
}

const controllers = new WeakMap<Backend, QuantizeController>();

/**
 * The page's one QuantizeController, made and connected on first use. It outlives the view (a
 * job or a comparison keeps going while the person looks elsewhere) and listens for as long as
 * the page lives, like the controllers App.svelte makes.
 */
export function quantizeController(shared: Pick<Controllers, 'backend' | 'model' | 'hardware'>): QuantizeController {
  const existing = controllers.get(shared.backend);
  if (existing) return existing;
  let controller!: QuantizeController;
  // Its own effect root: deriveds created while a view initialises belong to that view and go
  // stale when it is destroyed; the controller must outlive every view.
  $effect.root(() => {
    controller = new QuantizeController(shared.backend, shared.model, shared.hardware);
  });
  controller.connect();
  controllers.set(shared.backend, controller);
  return controller;
}
