/**
 * Conversion as the handlers see it: identify, the Pythons found, instructions, run with cancel,
 * and the converted models kept. Built once per services; owns the running jobs.
 */
import type {
  ConversionCheck,
  ConvertedModel,
  ConvertInstructions,
  ConvertProgress,
  ConvertRequest,
  InputSpec,
  ModelCode,
  PythonEnv,
  SourceIdentity,
} from '../../shared/domain/convert';
import { InferscopeError } from '../../shared/errors';
import { identifySource } from './identify';
import { instructionsFor } from './instructions';
import { convertSource } from './job';
import { choosePython, PythonFinder } from './pythons';
import { ConvertedStore } from './store';

/** A conversion that takes longer is stopped (CONVERT_TIMEOUT). */
export const CONVERT_TIMEOUT_MS = 10 * 60_000;
/** Overrides the time limit (tests, slow machines), in ms. */
export const CONVERT_TIMEOUT_ENV = 'INFERSCOPE_CONVERT_TIMEOUT_MS';

export interface ConvertServiceOptions {
  /** <data>/converted */
  root: string;
  check(modelPath: string, manifestPath: string, signal: AbortSignal): Promise<ConversionCheck>;
  finder?: PythonFinder;
  timeoutMs?: number;
}

function timeLimit(option: number | undefined): number {
  if (option !== undefined) return option;
  const fromEnv = Number(process.env[CONVERT_TIMEOUT_ENV]);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : CONVERT_TIMEOUT_MS;
}

export class ConvertService {
  readonly store: ConvertedStore;
  private readonly finder: PythonFinder;
  private readonly jobs = new Map<string, AbortController>();

  constructor(private readonly options: ConvertServiceOptions) {
    this.store = new ConvertedStore(options.root);
    this.finder = options.finder ?? new PythonFinder();
  }

  async identify(source: string): Promise<SourceIdentity> {
    const identity = await identifySource(source);
    const converted = identity.framework ? await this.store.find(identity.sha256) : null;
    return { ...identity, converted };
  }

  pythons(request: { python?: string | undefined; refresh?: boolean | undefined }): Promise<PythonEnv[]> {
    return this.finder.list({ ...(request.python ? { python: request.python } : {}), refresh: request.refresh ?? false });
  }

  async instructions(request: {
    path: string;
    python?: string | undefined;
    inputs: InputSpec[];
    modelCode?: ModelCode | undefined;
  }): Promise<ConvertInstructions> {
    const identity = await this.identify(request.path);
    if (identity.framework === null) throw new InferscopeError('BAD_REQUEST', identity.summary);
    const envs = await this.pythons({ python: request.python });
    let env: PythonEnv | null = null;
    try {
      env = choosePython(envs, identity.packages, request.python);
    } catch {
      env = null; // no Python yet: the instructions say "python3" and list every package
    }
    return instructionsFor(identity, env, { inputs: request.inputs, modelCode: request.modelCode });
  }

  async run(request: ConvertRequest, onProgress: (progress: ConvertProgress) => void): Promise<ConvertedModel> {
    if (this.jobs.has(request.jobId)) throw new InferscopeError('BAD_REQUEST', `A conversion ${request.jobId} is already running.`);
    const controller = new AbortController();
    this.jobs.set(request.jobId, controller);
    try {
      return await convertSource(
        { store: this.store, finder: this.finder, check: this.options.check, timeoutMs: timeLimit(this.options.timeoutMs) },
        request,
        { signal: controller.signal, onProgress },
      );
    } finally {
      this.jobs.delete(request.jobId);
    }
  }

  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    job?.abort();
    return job !== undefined;
  }

  list(): Promise<ConvertedModel[]> {
    return this.store.list();
  }

  /** Stops every running conversion (the host is shutting down). */
  dispose(): void {
    for (const job of this.jobs.values()) job.abort();
  }
}
