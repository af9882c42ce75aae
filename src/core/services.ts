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
import { VariantStore, describeSource, exportVariantFile, modeAvailability, quantizeCpu } from './quantize/variants';
import { QUANTIZE_WORKER_ENV, runQuantizeJob } from './quantize/job';
import { readModel } from './onnx/read';
import { readJsonFile, writeFileAtomic } from './store/atomic';
import { renderReportHtml, renderReportPdf, runsToCsv } from './report';
import { adviseDeployment, compareConfigurations, compareRuns } from '../shared/advice';
import { RequirementSchema, type Requirement } from '../shared/domain/advice';
import type { RunDocument } from '../shared/domain/run';
import { dataLayout } from './store/paths';
import { realFileUnder, withDeadline } from './store/safe-fs';
import { UploadStore } from './store/uploads';
import { NO_TELEMETRY_ENV } from './privacy';

const require = createRequire(import.meta.url);

const fileExists = (file: string): Promise<boolean> => fs.stat(file).then(() => true, () => false);

export interface ServicesOptions {
  host: HostKind;
  userDataDir: string;
  /** The built worker bundle the supervisor launches. */
  workerEntry: string;
  launcher: WorkerLauncher;
  versions: { electron: string | null; chromium: string | null };
}

export interface ReportRequest {
  runIds: string[];
  requirement: Requirement | null;
  format: 'pdf' | 'csv' | 'json' | 'html';
  paper: 'a4' | 'letter';
}

export interface RenderedReport {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}

export interface Services {
  handlers: CoreHandlers;
  runner: BenchRunner;
  variants: VariantStore;
  exportVariant(id: string, target: string): Promise<{ path: string }>;
  variantFile(id: string): Promise<{ path: string; fileName: string }>;
  renderReport(request: ReportRequest): Promise<RenderedReport>;
  /** Ends the worker process; call when the host shuts down. */
  dispose(): Promise<void>;
}

/** A provider probe is a tiny session: generous for slow software adapters, short enough never to stall the UI. */
const PROBE_TIMEOUT_MS = 20_000;

export function createServices(options: ServicesOptions): Services {
  const layout = dataLayout(options.userDataDir);
  const webgpu = webgpuEnvironment();
  const recent = new RecentStore(layout.recentFile);
  const runs: RunStore = new RunStore(layout.runs, (id) => runner.isActive(id));
  const variants = new VariantStore(layout.variants);
  const uploads = new UploadStore(layout.uploads);
  // Quantization jobs get their own worker: they may run while a benchmark measures, and they
  // want a different allocator setting (see QUANTIZE_WORKER_ENV).
  const quantizeSupervisor = new WorkerSupervisor({
    launcher: options.launcher,
    workerEntry: options.workerEntry,
    env: { ...webgpu.env, ...QUANTIZE_WORKER_ENV, ...NO_TELEMETRY_ENV },
  });
  const quantizeJobs = new Map<string, AbortController>();
  const requirementFile = path.join(options.userDataDir, 'requirement.json');
  const supervisor = new WorkerSupervisor({
    launcher: options.launcher,
    workerEntry: options.workerEntry,
    env: { ...webgpu.env, ...NO_TELEMETRY_ENV },
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

  function hardwareProfile(): Promise<HardwareProfile> {
    hardware ??= detect({ emit: () => undefined });
    return hardware;
  }

  /**
   * Copies a variant's model (and its external data) to a path on this machine. Only hosts that
   * know the user chose `target` call this (the CLI's -o, Electron's save dialog). The folder must
   * exist: nothing is created above the file, and a file system that does not answer is an error.
   */
  async function exportVariant(id: string, target: string): Promise<{ path: string }> {
    const v = await variants.get(id);
    if (!v) throw new InferscopeError('MODEL_NOT_FOUND', `There is no variant ${id}.`);
    const absolute = path.resolve(target);
    const folder = path.dirname(absolute);
    const stat = await withDeadline(fs.stat(folder), `Looking up ${folder}`).catch((error: unknown) => {
      if (error instanceof InferscopeError) throw error;
      throw new InferscopeError('IO_ERROR', `Cannot export to ${absolute}: the folder ${folder} does not exist.`);
    });
    if (!stat.isDirectory()) throw new InferscopeError('IO_ERROR', `Cannot export to ${absolute}: ${folder} is not a folder.`);
    return { path: (await exportVariantFile(v.path, absolute)).path };
  }

  function loadRuns(ids: readonly string[]): Promise<RunDocument[]> {
    return Promise.all(ids.map((id) => runs.get(id)));
  }

  /** A report of saved runs in one format; PDFs are printed by a Chromium found on this machine. */
  async function renderReport(request: ReportRequest): Promise<RenderedReport> {
    const docs = await loadRuns(request.runIds);
    const first = docs[0] as RunDocument;
    const base = `inferscope-${first.model.name.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_')}${docs.length > 1 ? `-${docs.length}-runs` : ''}`;
    const input = { runs: docs, requirement: request.requirement, paper: request.paper, appVersion: packageInfo.version };
    switch (request.format) {
      case 'pdf':
        return { fileName: `${base}.pdf`, mimeType: 'application/pdf', bytes: await renderReportPdf(input, { paper: request.paper }) };
      case 'html':
        return { fileName: `${base}.html`, mimeType: 'text/html', bytes: new TextEncoder().encode(renderReportHtml(input)) };
      case 'csv': {
        const verdict = request.requirement ? adviseDeployment(docs, request.requirement) : null;
        return { fileName: `${base}.csv`, mimeType: 'text/csv', bytes: new TextEncoder().encode(runsToCsv(docs, verdict)) };
      }
      case 'json': {
        // Without a requirement: the run document(s) as saved. With one: the verdict beside them.
        const value = request.requirement
          ? { schema: 'inferscope.report', schemaVersion: 1, requirement: request.requirement, verdict: adviseDeployment(docs, request.requirement), runs: docs }
          : docs.length === 1
            ? first
            : docs;
        const text = JSON.stringify(value, null, 2);
        return { fileName: `${docs.length === 1 ? first.id : base}.json`, mimeType: 'application/json', bytes: new TextEncoder().encode(text) };
      }
    }
  }

  async function variantFile(id: string): Promise<{ path: string; fileName: string }> {
    const v = await variants.get(id);
    if (!v) throw new InferscopeError('MODEL_NOT_FOUND', `There is no variant ${id}.`);
    return { path: v.path, fileName: `${v.source.name.replace(/\.onnx$/i, '')}-${v.id}.onnx` };
  }

  const runner: BenchRunner = new BenchRunner({
    supervisor,
    store: runs,
    resolveModel,
    inspect: (file, dims) => inspectModel(file, { dims }),
    variant: async (id) => {
      const v = await variants.get(id);
      if (!v) throw new InferscopeError('PLAN_INVALID', `There is no variant ${id} (it may have been deleted).`);
      const quality = v.report.quality.map(({ name, maxAbsDiff, meanAbsDiff, sqnrDb, cosine, nanCount, infCount, top1Agreement, top5Overlap }) => ({
        name,
        maxAbsDiff,
        meanAbsDiff,
        sqnrDb,
        cosine,
        nanCount,
        infCount,
        ...(top1Agreement !== undefined ? { top1Agreement } : {}),
        ...(top5Overlap !== undefined ? { top5Overlap } : {}),
      }));
      return { id: v.id, label: v.label, mode: v.mode, path: v.path, sizeBytes: v.sizeBytes, precision: v.mode, quality, warnings: v.report.warnings, sourceSha256: v.source.sha256 };
    },
    hardware: hardwareProfile,
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

    'model.close': async (request) => {
      if (request.source.kind !== 'path' || !(await uploads.remove(request.source.path))) return { removed: false };
      await recent.remove(path.resolve(request.source.path));
      return { removed: true };
    },
    // An upload removed while the host was down (leftovers go after a day) is no longer listed.
    'recent.list': async () => {
      const models = await recent.list();
      const gone = await Promise.all(models.map(async (m) => uploads.folderOf(m.path) !== null && !(await fileExists(m.path))));
      return models.filter((_, i) => !gone[i]);
    },
    'recent.remove': async (request) => {
      await uploads.remove(request.path);
      return recent.remove(request.path);
    },

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
    'quantize.modes': async (request) => {
      const model = await resolveModel(request.source);
      const loaded = await readModel(model.path);
      const profile = await hardwareProfile();
      return modeAvailability(loaded.model, quantizeCpu(profile.cpu.arch, profile.cpu.flags));
    },
    'quantize.run': async (request, context) => {
      const { jobId } = request.request;
      if (quantizeJobs.has(jobId)) throw new InferscopeError('BAD_REQUEST', `A quantization job ${jobId} is already running.`);
      const model = await resolveModel(request.request.source);
      const controller = new AbortController();
      quantizeJobs.set(jobId, controller);
      try {
        const profile = await hardwareProfile();
        return await runQuantizeJob({
          supervisor: quantizeSupervisor,
          store: variants,
          request: request.request,
          source: await describeSource(model.path, model.sample ?? path.basename(model.path)),
          cpu: quantizeCpu(profile.cpu.arch, profile.cpu.flags),
          onProgress: (progress) => context.emit('quantize.progress', progress),
          signal: controller.signal,
        });
      } finally {
        quantizeJobs.delete(jobId);
      }
    },
    'quantize.cancel': async (request) => {
      const job = quantizeJobs.get(request.jobId);
      job?.abort();
      return { cancelled: job !== undefined };
    },
    'variants.list': async (request) => {
      const model = await resolveModel(request.source);
      const source = await describeSource(model.path);
      return variants.list(source.sha256);
    },
    'variants.delete': async (request) => ({ deleted: await variants.delete(request.id) }),
    'advise.verdict': async (request) => adviseDeployment(await loadRuns(request.runIds), request.requirement),
    'advise.compare': async (request) => {
      const docs = await loadRuns([...new Set(request.items.map((i) => i.runId))]);
      const byId = new Map(docs.map((d) => [d.id, d]));
      if (request.items.every((i) => i.configId)) {
        const items = request.items.map((i) => {
          const run = byId.get(i.runId) as RunDocument;
          const config = run.configs.find((c) => c.id === i.configId);
          if (!config) throw new InferscopeError('RUN_NOT_FOUND', `Run ${i.runId} has no configuration ${i.configId}.`);
          return { run, config };
        });
        return [compareConfigurations(items)];
      }
      return compareRuns(request.items.map((i) => byId.get(i.runId) as RunDocument));
    },
    'requirement.get': async () => readJsonFile(requirementFile, (v) => RequirementSchema.parse(v), null),
    'requirement.save': async (request) => {
      await writeFileAtomic(requirementFile, JSON.stringify(request.requirement, null, 2));
      return request.requirement;
    },
    'runs.trace': async (request) => {
      const doc = await runs.get(request.id);
      const config = doc.configs.find((c) => c.id === request.configId);
      const traceFile = config?.placement?.traceFile;
      if (!config || !traceFile) throw new InferscopeError('RUN_NOT_FOUND', `No profiling trace for ${request.configId} in run ${request.id}.`);
      // The name comes from a document that may have been imported: checked again here, links included.
      const file = await withDeadline(realFileUnder(runs.artifactsDir(doc.id), traceFile, `The trace of ${request.configId}`), 'Finding the trace').catch(
        (error: unknown) => {
          if (error instanceof InferscopeError) throw error;
          throw new InferscopeError('RUN_NOT_FOUND', `The trace file ${traceFile} of run ${request.id} is missing.`);
        },
      );
      const text = await withDeadline(fs.readFile(file, 'utf8'), `Reading ${traceFile}`);
      return { fileName: `${doc.model.name}-${request.configId.replace(/\//g, '_')}.trace.json`, text };
    },
  };

  return {
    handlers,
    runner,
    variants,
    exportVariant,
    variantFile,
    renderReport,
    dispose: async () => {
      for (const job of quantizeJobs.values()) job.abort();
      await runner.cancelAll();
      await Promise.all([supervisor.dispose(), quantizeSupervisor.dispose()]);
    },
  };
}

