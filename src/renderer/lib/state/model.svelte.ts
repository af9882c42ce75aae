import { ModelSourceSchema, type DimValues, type ModelSource, type RecentModel } from '../../../shared/domain/app';
import type { ModelInfo } from '../../../shared/domain/model';
import type { InputValues } from '../../../shared/domain/input-values';
import type { SampleInfo } from '../../../shared/domain/sample';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import type { CommandResponse } from '../../../shared/contract';
import { errorInfoOf } from './app.svelte';
import { ConvertController } from './convert.svelte';
import { sameSource } from '../logic/model-summary';

/** What the model view is showing: nothing yet, a model being read, a model, or why it could not be read. */
export type ModelPhase = 'start' | 'loading' | 'ready' | 'error';

/**
 * The model the person is looking at, how they got there (samples, recent files, pick, drop,
 * path) and the dims its counts were computed with.
 */
export class ModelController {
  source = $state.raw<ModelSource | null>(null);
  info = $state.raw<ModelInfo | null>(null);
  /** The last failure: opening a model (no info shown) or re-inspecting with new dims (info kept). */
  error = $state.raw<ErrorInfo | null>(null);
  loading = $state(false);
  /** Label of what is being opened, for the loading state. */
  opening = $state<string | null>(null);

  samples = $state.raw<SampleInfo[]>([]);
  samplesError = $state.raw<ErrorInfo | null>(null);
  recent = $state.raw<RecentModel[]>([]);
  recentError = $state.raw<ErrorInfo | null>(null);

  /** Upgrading the open model to opset 13: running, the result (for the model it was made from), or why not. */
  upgrading = $state(false);
  upgraded = $state.raw<{ from: ModelSource; result: CommandResponse<'model.upgrade'> } | null>(null);
  upgradeError = $state.raw<ErrorInfo | null>(null);

  /** A PyTorch / TensorFlow file opened here: what it is, converting it to ONNX, and the models converted before. */
  readonly convert: ConvertController;

  phase: ModelPhase = $derived(this.loading && !this.info ? 'loading' : this.info ? 'ready' : this.error ? 'error' : 'start');

  /** Only the newest request may land: a slow model opened first must not replace a fast one opened after. */
  private requestSeq = 0;

  constructor(private readonly backend: Backend) {
    this.convert = new ConvertController(backend);
  }

  start() {
    void this.convert.loadList();
    void this.loadSamples();
    void this.loadRecent();
    void this.restore();
  }

  /**
   * After a reload: the model that was open before, so Benchmark, Quantize and the Model view carry
   * on with it. One that cannot be read any more (an upload the host removed) is forgotten quietly.
   */
  private async restore() {
    const saved = recallModel();
    if (!saved || this.source || this.loading) return;
    const seq = this.requestSeq + 1;
    await this.open(saved);
    if (seq === this.requestSeq && !this.info) {
      rememberModel(null);
      this.close();
    }
  }

  async loadSamples() {
    try {
      this.samples = await this.backend.invoke('samples.list', {});
      this.samplesError = null;
    } catch (error) {
      this.samplesError = errorInfoOf(error);
    }
  }

  async loadRecent() {
    try {
      this.recent = await this.backend.invoke('recent.list', {});
      this.recentError = null;
    } catch (error) {
      this.recentError = errorInfoOf(error);
    }
  }

  /** Opens a model afresh: the previous model's info is dropped, its dims are not carried over. */
  open(source: ModelSource): Promise<void> {
    if (this.source && !sameSource(this.source, source)) this.release(this.source);
    this.source = source;
    this.info = null;
    this.convert.clear();
    return this.inspect(source, undefined, labelOf(source));
  }

  /** Saves the person's input profile (symbolic dims and input values) for the model and re-reads it with those. */
  applyProfile(profile: { dims: DimValues; values: InputValues }): Promise<void> {
    if (!this.source) return Promise.resolve();
    return this.inspect(this.source, profile, null);
  }

  /** Makes the upgraded (IR 8 / opset 13) copy of the open model, checked against it; the view then offers to open it. */
  async upgrade() {
    const source = this.source;
    if (!source || this.upgrading) return;
    this.upgrading = true;
    this.upgradeError = null;
    try {
      const result = await this.backend.invoke('model.upgrade', { source });
      this.upgraded = { from: source, result };
    } catch (error) {
      this.upgradeError = errorInfoOf(error);
    } finally {
      this.upgrading = false;
    }
  }

  async openPath(path: string) {
    const trimmed = path.trim();
    if (trimmed) await this.open({ kind: 'path', path: trimmed });
  }

  async pick() {
    try {
      const source = await this.backend.pickModel();
      if (source) await this.open(source);
    } catch (error) {
      this.fail(errorInfoOf(error));
    }
  }

  /** Any file: the host tells an ONNX model from a PyTorch / TensorFlow file (to convert) by its content. */
  async drop(file: File) {
    this.convert.clear();
    this.info = null;
    this.loading = true;
    this.opening = file.name;
    this.error = null;
    try {
      const source = await this.backend.uploadModel(file);
      await this.open(source);
    } catch (error) {
      this.fail(errorInfoOf(error));
    }
  }

  openRecent(entry: RecentModel) {
    return this.open(entry.sample ? { kind: 'sample', name: entry.sample } : { kind: 'path', path: entry.path });
  }

  async removeRecent(path: string) {
    try {
      this.recent = await this.backend.invoke('recent.remove', { path });
    } catch (error) {
      this.recentError = errorInfoOf(error);
    }
  }

  /** Back to the start screen (samples, recent files). */
  close() {
    if (this.source) this.release(this.source);
    rememberModel(null);
    this.requestSeq += 1;
    this.source = null;
    this.info = null;
    this.error = null;
    this.loading = false;
    this.opening = null;
    this.convert.clear();
  }

  /** Tells the host the person is done with a model (an upload is then removed from the host). */
  private release(source: ModelSource) {
    if (source.kind !== 'path') return;
    void this.backend.invoke('model.close', { source }).then(
      ({ removed }) => (removed ? this.loadRecent() : undefined),
      () => undefined,
    );
  }

  dismissError() {
    this.error = null;
  }

  private async inspect(source: ModelSource, profile: { dims: DimValues; values: InputValues } | undefined, label: string | null) {
    const seq = ++this.requestSeq;
    this.loading = true;
    this.opening = label;
    this.error = null;
    try {
      const info = await this.backend.invoke('model.inspect', profile ? { source, ...profile, saveProfile: true } : { source });
      if (seq !== this.requestSeq) return;
      this.source = source;
      this.info = info;
      rememberModel(source);
      void this.loadRecent();
    } catch (error) {
      if (seq !== this.requestSeq) return;
      const info = errorInfoOf(error);
      // A PyTorch / TensorFlow file: not a failure but the first step of converting it.
      if (info.code === 'MODEL_NEEDS_CONVERSION' && source.kind === 'path') void this.convert.identify(source.path);
      else this.error = info;
    } finally {
      if (seq === this.requestSeq) {
        this.loading = false;
        this.opening = null;
      }
    }
  }

  private fail(error: ErrorInfo) {
    this.requestSeq += 1;
    this.loading = false;
    this.opening = null;
    this.error = error;
  }
}

function labelOf(source: ModelSource): string {
  return source.kind === 'sample' ? source.name : (source.path.split(/[\\/]/).pop() ?? source.path);
}

/** Where the open model is kept for this window: a reload opens it again; a new window starts afresh. */
export const MODEL_STORAGE_KEY = 'inferscope.model';

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    // Storage can be switched off (privacy settings): the choice then lasts until the page reloads.
    return null;
  }
}

export function rememberModel(source: ModelSource | null): void {
  try {
    if (source === null) storage()?.removeItem(MODEL_STORAGE_KEY);
    else storage()?.setItem(MODEL_STORAGE_KEY, JSON.stringify(source));
  } catch {
    // A full or disabled storage only loses the choice at the next reload.
  }
}

/** The model kept for this window, if it is still a valid model source. */
export function recallModel(): ModelSource | null {
  try {
    const text = storage()?.getItem(MODEL_STORAGE_KEY);
    if (!text) return null;
    const parsed = ModelSourceSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
