/**
 * createServices: the one implementation of every core command of the contract, shared by the
 * desktop app, the browser host and the CLI. Hosts only add transport and host-specific commands.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { CommandContext, CoreHandlers } from '../shared/contract';
import type { HostKind, ModelSource } from '../shared/domain/app';
import type { HardwareProfile, ProviderAssessment, ProviderProbeResult } from '../shared/domain/hardware';
import { InferscopeError, toErrorInfo } from '../shared/errors';
import { WorkerSupervisor } from './bench/supervisor';
import type { WorkerLauncher } from './bench/launcher';
import { detectHardware, mergeProviderProbes, webgpuEnvironment } from './hardware';
import { inspectModel } from './onnx/inspect';
import { buildProbeModel, ensureSample, listSamples } from './zoo';
import { RecentStore } from './store/recent';
import { RunStore, summarizeRun } from './store/runs';
import { BenchRunner } from './bench/runner';
import { dataLayout } from './store/paths';

const require = createRequire(import.meta.url);

export interface ServicesOptions {
  host: HostKind;
  userDataDir: string;
  /** The built worker bundle the supervisor launches. */
  workerEntry: string;
  launcher: WorkerLauncher;
  versions: { electron: string | null; chromium: string | null };
}

export interface Services {
  handlers: CoreHandlers;
  runner: BenchRunner;
  /** Ends the worker process; call when the host shuts down. */
  dispose(): Promise<void>;
}

/** A provider probe is a tiny session: generous for slow software adapters, short enough never to stall the UI. */
const PROBE_TIMEOUT_MS = 20_000;

export function createServices(options: ServicesOptions): Services {
  const layout = dataLayout(options.userDataDir);
  const recent = new RecentStore(layout.recentFile);
  const runs: RunStore = new RunStore(layout.runs, (id) => runner.isActive(id));
  const webgpu = webgpuEnvironment();
  const supervisor = new WorkerSupervisor({
    launcher: options.launcher,
    workerEntry: options.workerEntry,
    env: webgpu.env,
  });
  const packageInfo = require('../../package.json') as { version: string };
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;

  let hardware: Promise<HardwareProfile> | null = null;

  /**
   * Probes run one at a time in the worker: several WebGPU sessions at once have crashed
   * onnxruntime, and a crash must only cost that provider its status (the supervisor's next
   * request gets a fresh worker).
   */
  async function probe(candidates: ProviderAssessment[], context: CommandContext): Promise<ProviderProbeResult[]> {
    const modelBytes = buildProbeModel();
    const results: ProviderProbeResult[] = [];
    for (const candidate of candidates) {
      let result: ProviderProbeResult;
      try {
        const outcome = await supervisor.request({ type: 'probe', ep: candidate.name, modelBytes }, { timeoutMs: PROBE_TIMEOUT_MS });
        result = outcome.ok
          ? { name: candidate.name, ok: true, probeMs: outcome.ms, detail: probeDetail(candidate, outcome.detail) }
          : { name: candidate.name, ok: false, probeMs: 0, detail: `${outcome.code}: ${outcome.message}` };
      } catch (error) {
        const info = toErrorInfo(error);
        result = { name: candidate.name, ok: false, probeMs: 0, detail: `${info.code}: ${info.message}` };
      }
      results.push(result);
      const [status] = mergeProviderProbes([candidate], [result]);
      if (status) context.emit('hardware.provider', status);
    }
    return results;
  }

  function probeDetail(candidate: ProviderAssessment, detail: { nodes: number; fallbackNodes: unknown[]; sessionCreateMs: number; firstRunMs: number }): string {
    const parts = [
      candidate.software
        ? `Software adapter${candidate.adapter ? ` (${candidate.adapter})` : ''}: correct but slow — not a GPU`
        : 'Probe session ran',
      `session ${detail.sessionCreateMs.toFixed(0)} ms, first run ${detail.firstRunMs.toFixed(1)} ms`,
    ];
    if (detail.fallbackNodes.length > 0) parts.push(`${detail.fallbackNodes.length} of ${detail.nodes} probe nodes fell back to CPU`);
    return parts.join('; ');
  }

  function detect(context: CommandContext): Promise<HardwareProfile> {
    return detectHardware({ probeProviders: (candidates) => probe(candidates, context) });
  }

  async function resolveModel(source: ModelSource): Promise<{ path: string; sample: string | null }> {
    if (source.kind === 'sample') {
      return { path: await ensureSample(source.name, layout.samples), sample: source.name };
    }
    return { path: path.resolve(source.path), sample: null };
  }

  const runner: BenchRunner = new BenchRunner({
    supervisor,
    store: runs,
    resolveModel,
    inspect: (file, dims) => inspectModel(file, { dims }),
    variant: async (id) => {
      throw new InferscopeError('PLAN_INVALID', `Unknown variant ${id}`);
    },
    hardware: () => {
      hardware ??= detect({ emit: () => undefined });
      return hardware;
    },
    environment: {
      host: options.host,
      app: { version: packageInfo.version },
      versions: { node: process.versions.node, onnxruntime: ortVersion, ...options.versions },
    },
  });

  const handlers: CoreHandlers = {
    'app.info': async () => ({
      name: 'Inferscope',
      version: packageInfo.version,
      host: options.host,
      userDataDir: options.userDataDir,
      versions: { node: process.versions.node, onnxruntime: ortVersion, ...options.versions },
    }),

    'hardware.detect': async (request, context) => {
      if (request.refresh || hardware === null) {
        hardware = detect(context);
        hardware.catch(() => {
          hardware = null;
        });
      }
      return hardware;
    },

    'samples.list': async () => listSamples(),

    'model.inspect': async (request) => {
      const model = await resolveModel(request.source);
      const info = await inspectModel(model.path, request.dims ? { dims: request.dims } : {});
      const size = await fs.stat(model.path).then((s) => s.size, () => null);
      await recent.add({ path: model.path, name: model.sample ?? path.basename(model.path), sample: model.sample, sizeBytes: size });
      return info;
    },

    'recent.list': async () => recent.list(),
    'recent.remove': async (request) => recent.remove(request.path),

    'bench.start': async (request, context) => runner.start(request.plan, context),
    'bench.cancel': async (request) => ({ cancelled: runner.cancel(request.runId) }),
    'bench.active': async () => runner.activeRunIds(),
    'runs.list': async () => runs.list(),
    'runs.get': async (request) => runs.get(request.id),
    'runs.delete': async (request) => {
      await runs.delete(request.id);
      return runs.list();
    },
    'runs.import': async (request) => summarizeRun(await runs.import(request.text, request.fileName)),
    'runs.trace': async (request) => {
      const doc = await runs.get(request.id);
      const config = doc.configs.find((c) => c.id === request.configId);
      const traceFile = config?.placement?.traceFile;
      if (!config || !traceFile) throw new InferscopeError('RUN_NOT_FOUND', `No profiling trace for ${request.configId} in run ${request.id}.`);
      const text = await fs.readFile(path.join(runs.artifactsDir(doc.id), traceFile), 'utf8').catch(() => {
        throw new InferscopeError('RUN_NOT_FOUND', `The trace file ${traceFile} of run ${request.id} is missing.`);
      });
      return { fileName: `${doc.model.name}-${request.configId.replace(/\//g, '_')}.trace.json`, text };
    },
  };

  return {
    handlers,
    runner,
    dispose: async () => {
      await runner.cancelAll();
      await supervisor.dispose();
    },
  };
}

