import type { ConvertedModel, ConvertInstructions, ConvertProgress, PythonEnv, SourceIdentity } from '../../../shared/domain/convert';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import {
  buildRequest,
  checkDraft,
  defaultPython,
  EMPTY_CODE,
  initialDraft,
  newJobId,
  pythonUsable,
  type ConvertDraft,
} from '../logic/convert-form';
import { errorInfoOf } from './app.svelte';

/** Failures that mean Python lacks what converting needs: the card then shows how to install it and convert by hand. */
const NEEDS_PACKAGES = new Set<ErrorInfo['code']>(['CONVERT_NO_PYTHON', 'CONVERT_PACKAGES_MISSING']);

/** How often the elapsed time moves while a conversion runs. */
const TICK_MS = 250;

/**
 * A PyTorch / TensorFlow file on its way to a verified ONNX model: what it is, which Python converts it,
 * the form, the running conversion (progress, cancel) and its result; and the models converted before.
 */
export class ConvertController {
  /** The file or folder being converted (on the machine that runs the services); null when none. */
  path = $state<string | null>(null);
  identity = $state.raw<SourceIdentity | null>(null);
  identifying = $state(false);
  identifyError = $state.raw<ErrorInfo | null>(null);

  pythons = $state.raw<PythonEnv[]>([]);
  pythonsLoading = $state(false);
  pythonsError = $state.raw<ErrorInfo | null>(null);
  /** The Pythons have been looked for at least once for this file. */
  pythonsLoaded = $state(false);
  /** The interpreter chosen (a found one or one the person typed); null: none usable yet. */
  python = $state<string | null>(null);

  draft = $state<ConvertDraft>({ inputs: [], exampleSizes: {}, code: { ...EMPTY_CODE }, trust: false });

  running = $state(false);
  cancelling = $state(false);
  jobId = $state<string | null>(null);
  progress = $state.raw<ConvertProgress | null>(null);
  /** Milliseconds since Convert was pressed, moving while it runs. */
  elapsedMs = $state(0);
  result = $state.raw<ConvertedModel | null>(null);
  error = $state.raw<ErrorInfo | null>(null);
  cancelled = $state(false);

  instructions = $state.raw<ConvertInstructions | null>(null);
  instructionsError = $state.raw<ErrorInfo | null>(null);
  instructionsLoading = $state(false);

  /** Models converted on this machine, newest first. */
  list = $state.raw<ConvertedModel[]>([]);
  listError = $state.raw<ErrorInfo | null>(null);

  /** The packages converting this source needs ("torch", "onnx" / "tensorflow", "tf2onnx"). */
  packages: string[] = $derived(this.identity?.packages ?? []);
  /** The chosen interpreter as found, with its packages. */
  chosen: PythonEnv | null = $derived(this.pythons.find((env) => env.path === this.python) ?? null);
  /**
   * The chosen Python lacks what converting needs, none was found, or the conversion said so: show the
   * install commands (for that Python) and the by-hand script.
   */
  needsHelp: boolean = $derived.by(() => {
    if (!this.identity || this.identity.framework === null) return false;
    if (this.error && NEEDS_PACKAGES.has(this.error.code)) return true;
    if (!this.pythonsLoaded || this.pythonsLoading || this.pythonsError) return false;
    return this.chosen === null || !pythonUsable(this.chosen, this.packages);
  });
  checked = $derived(this.identity ? checkDraft(this.identity, this.draft) : null);

  /** An interpreter the person typed: asked about every time the Pythons are looked for, and listed first. */
  private typed: string | null = null;
  private unsubscribe: (() => void) | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  /** Only the newest identify may land. */
  private seq = 0;

  constructor(private readonly backend: Backend) {}

  async loadList() {
    try {
      this.list = await this.backend.invoke('convert.list', {});
      this.listError = null;
    } catch (error) {
      this.listError = errorInfoOf(error);
    }
  }

  /** Reads what the file is (never running it) and which Pythons can convert it. */
  async identify(path: string) {
    const seq = ++this.seq;
    this.reset();
    this.path = path;
    this.identifying = true;
    try {
      const identity = await this.backend.invoke('convert.identify', { path });
      if (seq !== this.seq) return;
      this.identity = identity;
      this.draft = initialDraft(identity);
      void this.loadPythons(false);
    } catch (error) {
      if (seq === this.seq) this.identifyError = errorInfoOf(error);
    } finally {
      if (seq === this.seq) this.identifying = false;
    }
  }

  /** The Pythons found; `typed` (a path the person gave) is checked, listed first and chosen. */
  async loadPythons(refresh: boolean, typed?: string) {
    if (typed) this.typed = typed;
    this.pythonsLoading = true;
    this.pythonsError = null;
    try {
      const pythons = await this.backend.invoke('convert.pythons', { refresh, ...(this.typed ? { python: this.typed } : {}) });
      this.pythons = pythons;
      const before = this.python;
      const kept = before !== null && pythons.some((env) => env.path === before);
      if (typed) this.python = pythons.find((env) => env.origin === 'chosen')?.path ?? typed;
      else if (!kept) this.python = defaultPython(pythons, this.packages) ?? pythons[0]?.path ?? null;
      if (this.python !== before) this.instructions = null;
    } catch (error) {
      this.pythonsError = errorInfoOf(error);
    } finally {
      this.pythonsLoading = false;
      this.pythonsLoaded = true;
    }
    if (this.needsHelp) void this.loadInstructions();
  }

  /** The person picks one of the Pythons found; one that lacks the packages shows how to install them into it. */
  choose(path: string) {
    this.python = path;
    this.instructions = null;
    if (this.needsHelp) void this.loadInstructions();
  }

  /** The install commands and a script converting it by hand, for the chosen Python and the inputs typed so far. */
  async loadInstructions() {
    const identity = this.identity;
    if (!identity) return;
    this.instructionsLoading = true;
    try {
      const checked = checkDraft(identity, this.draft);
      const inputs = checked.ok ? checked.inputs : [];
      const modelCode = checked.ok ? checked.modelCode : undefined;
      this.instructions = await this.backend.invoke('convert.instructions', {
        path: identity.path,
        ...(this.python ? { python: this.python } : {}),
        inputs,
        ...(modelCode ? { modelCode } : {}),
      });
      this.instructionsError = null;
    } catch (error) {
      this.instructionsError = errorInfoOf(error);
    } finally {
      this.instructionsLoading = false;
    }
  }

  /** Converts with the chosen Python, following its progress; `force` converts again over a cached result. */
  async convert(force = false) {
    const identity = this.identity;
    const checked = this.checked;
    if (!identity || !checked?.ok || this.running) return;
    const jobId = newJobId();
    const request = buildRequest(identity, checked, { jobId, python: this.python, trust: this.draft.trust, force });
    this.begin(jobId);
    try {
      const result = await this.backend.invoke('convert.run', { request });
      void this.loadList();
      if (this.jobId === jobId) this.result = result;
    } catch (error) {
      // The card was closed or another file opened meanwhile: nothing to show.
      if (this.jobId !== jobId) return;
      const info = errorInfoOf(error);
      if (info.code === 'CANCELLED') this.cancelled = true;
      else this.error = info;
      if (NEEDS_PACKAGES.has(info.code)) void this.loadInstructions();
    } finally {
      this.end(jobId);
    }
  }

  async cancel() {
    const jobId = this.jobId;
    if (!jobId || !this.running || this.cancelling) return;
    this.cancelling = true;
    try {
      await this.backend.invoke('convert.cancel', { jobId });
    } catch (error) {
      this.error = errorInfoOf(error);
    }
  }

  /** After installing the packages: look for the Pythons again and, when one now has them, convert. */
  async retry() {
    this.error = null;
    await this.loadPythons(true);
    if (this.chosen && pythonUsable(this.chosen, this.packages) && this.checked?.ok) await this.convert();
  }

  /** Forgets the file: the card goes away. */
  clear() {
    this.seq += 1;
    this.reset();
  }

  private reset() {
    if (this.running && this.jobId) void this.backend.invoke('convert.cancel', { jobId: this.jobId }).catch(() => undefined);
    this.stopFollowing();
    this.path = null;
    this.identity = null;
    this.identifying = false;
    this.identifyError = null;
    this.result = null;
    this.error = null;
    this.cancelled = false;
    this.instructions = null;
    this.instructionsError = null;
    this.pythonsLoaded = false;
    // A typed interpreter stays listed for the next file; which one converts is chosen again for its packages.
    this.python = null;
    this.running = false;
    this.cancelling = false;
    this.jobId = null;
    this.progress = null;
  }

  private begin(jobId: string) {
    this.stopFollowing();
    this.jobId = jobId;
    this.running = true;
    this.cancelling = false;
    this.cancelled = false;
    this.error = null;
    this.result = null;
    this.progress = null;
    this.elapsedMs = 0;
    const started = Date.now();
    this.unsubscribe = this.backend.on('convert.progress', (event) => {
      if (event.jobId === this.jobId) this.progress = event;
    });
    this.ticker = setInterval(() => (this.elapsedMs = Date.now() - started), TICK_MS);
  }

  private end(jobId: string) {
    if (this.jobId !== jobId) return;
    this.stopFollowing();
    this.running = false;
    this.cancelling = false;
  }

  private stopFollowing() {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
  }
}
