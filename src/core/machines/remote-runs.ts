/**
 * Benchmarks measured on another machine, followed from here: the plan starts there, its events
 * come back as this host's events under the same run id, cancel goes there, and the run is saved
 * here as it goes — with the machine it was measured on — and once more, whole, when it ends.
 * A machine lost mid-run ends the run failed with MACHINE_UNREACHABLE naming it; what it measured
 * before is kept.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { CommandContext, EventPayload } from '../../shared/contract';
import type { ModelSource } from '../../shared/domain/app';
import type { MachineRef } from '../../shared/domain/machine';
import type { BenchPlan } from '../../shared/domain/plan';
import type { RunDocument } from '../../shared/domain/run';
import { InferscopeError } from '../../shared/errors';
import type { RunStore } from '../store/runs';
import { fileUnder } from '../store/safe-fs';
import type { RemoteConnection } from './connection';
import { attributed, fromRemote, lost, machineError } from './errors';

/** A saved machine with a connection to it, and where this app notes what it sent there. */
export interface RemoteTarget {
  ref: MachineRef;
  connection: RemoteConnection;
  /** The model source as the machine knows it (sent there first when it is a file here). */
  send(source: ModelSource): Promise<ModelSource>;
}

/** How long a host that stops waits for its remote runs to end once cancelled. */
const STOP_WAIT_MS = 10_000;

/** Plans name files on this machine in two places the other machine cannot read: refused before anything is sent. */
export function assertPortablePlan(plan: BenchPlan, machine: MachineRef): void {
  const local = plan.inputs.dir
    ? 'a folder of inputs'
    : Object.values(plan.inputs.values).some((v) => v.kind === 'file')
      ? 'an input read from a file'
      : null;
  if (local) {
    throw machineError(
      machine,
      'NOT_SUPPORTED',
      `this plan uses ${local} on this machine, and files other than the model are not sent to another machine. ` +
        `Copy them to ${machine.name} and run \`inferscope bench\` there, or measure with generated inputs.`,
    );
  }
}

class RemoteRun {
  private saving: Promise<void> = Promise.resolve();
  private ended = false;
  readonly done: Promise<void>;
  private resolveDone: () => void = () => undefined;

  constructor(
    readonly doc: RunDocument,
    readonly target: RemoteTarget,
    private readonly store: RunStore,
    private readonly context: CommandContext,
    private readonly cleanup: () => void,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get id(): string {
    return this.doc.id;
  }

  /** Saves the document as it is now, after every earlier save. */
  save(): Promise<void> {
    const snapshot = structuredClone(this.doc);
    this.saving = this.saving.then(() => this.store.save(snapshot).catch(() => undefined));
    return this.saving;
  }

  handle(event: string, payload: unknown): void {
    if (this.ended) return;
    if (event === 'bench.started') {
      this.context.emit('bench.started', payload as EventPayload<'bench.started'>);
    } else if (event === 'bench.progress') {
      this.context.emit('bench.progress', payload as EventPayload<'bench.progress'>);
    } else if (event === 'bench.config') {
      const { config } = payload as EventPayload<'bench.config'>;
      const at = this.doc.configs.findIndex((c) => c.id === config.id);
      if (at >= 0) this.doc.configs[at] = config;
      else this.doc.configs.push(config);
      void this.save();
      this.context.emit('bench.config', payload as EventPayload<'bench.config'>);
    } else if (event === 'bench.finished') {
      this.ended = true;
      void this.finish(payload as EventPayload<'bench.finished'>);
    }
  }

  /** The machine's own last document (every sample, every warning), its traces copied here, then the end is told. */
  private async finish(finished: EventPayload<'bench.finished'>): Promise<void> {
    try {
      const whole = await this.target.connection.invoke('runs.get', { id: this.id });
      Object.assign(this.doc, localCopy(whole, this.doc, this.target.ref));
      await this.copyTraces();
    } catch {
      // The document followed as it went is kept: its configurations are the machine's own.
      this.doc.status = finished.status;
      this.doc.finishedAt ??= new Date().toISOString();
      if (finished.error) this.doc.error = fromRemote(this.target.ref, finished.error).toInfo();
    }
    await this.save();
    this.end({ runId: this.id, status: this.doc.status, ...(this.doc.error ? { error: this.doc.error } : {}) });
  }

  /** The run ends failed, by the machine: the connection was lost, or this host stopped following it. */
  fail(error: InferscopeError): void {
    if (this.ended) return;
    this.ended = true;
    const info = error.toInfo();
    for (const config of this.doc.configs) {
      if (config.status === 'running') Object.assign(config, { status: 'failed', error: info });
      else if (config.status === 'pending') config.status = 'cancelled';
    }
    Object.assign(this.doc, { status: 'failed', error: info, finishedAt: new Date().toISOString() });
    void this.save().then(() => this.end({ runId: this.id, status: 'failed', error: info }));
  }

  private end(finished: EventPayload<'bench.finished'>): void {
    this.cleanup();
    this.context.emit('bench.finished', finished);
    this.resolveDone();
  }

  /** Profiling traces stay beside the run here, as a run measured here keeps them. */
  private async copyTraces(): Promise<void> {
    for (const config of this.doc.configs) {
      const traceFile = config.placement?.traceFile;
      if (!traceFile) continue;
      try {
        const trace = await this.target.connection.invoke('runs.trace', { id: this.id, configId: config.id });
        const target = fileUnder(this.store.artifactsDir(this.id), traceFile, `The trace of ${config.id}`);
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.writeFile(target, trace.text);
      } catch {
        // A trace that does not come over leaves the numbers as they are; runs.trace says it is missing.
      }
    }
  }
}

/** The machine's document as saved here: the model and plan named as on this machine, with the machine. */
function localCopy(remote: RunDocument, local: RunDocument, machine: MachineRef): RunDocument {
  return { ...remote, plan: { ...remote.plan, model: local.plan.model }, model: { ...remote.model, path: local.model.path }, machine };
}

export class RemoteRuns {
  private readonly active = new Map<string, RemoteRun>();

  constructor(private readonly store: RunStore) {}

  isActive(id: string): boolean {
    return this.active.has(id);
  }

  activeIds(): string[] {
    return [...this.active.keys()];
  }

  /** The id of the machine measuring a remote run (undefined for any other run). */
  machineOf(id: string): string | undefined {
    return this.active.get(id)?.target.ref.id;
  }

  /** Starts the plan on the machine; answers the run's first document as saved here. */
  async start(target: RemoteTarget, plan: BenchPlan, context: CommandContext): Promise<RunDocument> {
    assertPortablePlan(plan, target.ref);
    const remoteModel = await target.send(plan.model);
    // Events may come before the answer (bench.started does): kept until the run's id is known.
    const early: [string, unknown][] = [];
    let run: RemoteRun | null = null;
    const stopEvents = target.connection.onEvent((event, payload) => {
      if (!event.startsWith('bench.')) return;
      if (run === null) early.push([event, payload]);
      else if ((payload as { runId?: unknown }).runId === run.id) run.handle(event, payload);
    });
    let started: RunDocument;
    try {
      started = await target.connection.invoke('bench.start', { plan: { ...plan, model: remoteModel } });
    } catch (error) {
      stopEvents();
      throw error;
    }
    const localPath = plan.model.kind === 'path' ? plan.model.path : started.model.path;
    const doc: RunDocument = {
      ...started,
      plan: { ...started.plan, model: plan.model },
      model: { ...started.model, path: localPath },
      machine: target.ref,
    };
    let stopLost: () => void = () => undefined;
    const current = new RemoteRun(doc, target, this.store, context, () => {
      stopEvents();
      stopLost();
      this.active.delete(doc.id);
    });
    stopLost = target.connection.onLost((error) => current.fail(error));
    this.active.set(doc.id, current);
    run = current;
    for (const [event, payload] of early) if ((payload as { runId?: unknown }).runId === doc.id) current.handle(event, payload);
    await current.save();
    if (!target.connection.connected) current.fail(lost(target.ref, 'as the run started'));
    return structuredClone(doc);
  }

  /** Cancels a remote run there; null when the run is not a remote one. */
  async cancel(id: string): Promise<boolean | null> {
    const run = this.active.get(id);
    if (!run) return null;
    try {
      return (await run.target.connection.invoke('bench.cancel', { runId: id })).cancelled;
    } catch (error) {
      // The machine cannot be told: the run ends here, attributed to it.
      run.fail(error instanceof InferscopeError ? error : attributed(run.target.ref, error));
      return true;
    }
  }

  /** Cancels every remote run, waits a while for them to end there, and fails the ones that did not. */
  async stopAll(): Promise<void> {
    const runs = [...this.active.values()];
    await Promise.allSettled(runs.map((run) => this.cancel(run.id)));
    await Promise.race([
      Promise.allSettled(runs.map((run) => run.done)),
      new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref()),
    ]);
    for (const run of runs) run.fail(machineError(run.target.ref, 'CANCELLED', 'this app stopped while the run measured there.'));
  }
}
