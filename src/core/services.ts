/**
 * createServices: the one implementation of every core command of the contract, shared by the
 * desktop app, the browser host and the CLI. The handlers live in handlers/, one module per area;
 * this file only builds what they share and wires them. Hosts add transport and the host commands.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CoreHandlers } from '../shared/contract';
import type { HostKind } from '../shared/domain/app';
import { WorkerSupervisor } from './worker-host/supervisor';
import type { WorkerLauncher } from './worker-host/launcher';
import { BenchRunner } from './bench/runner';
import { webgpuEnvironment } from './hardware';
import { inspectModel } from './onnx/inspect';
import { QUANTIZE_WORKER_ENV } from './quantize/job';
import { VariantStore } from './quantize/variants';
import { NO_TELEMETRY_ENV } from './privacy';
import { dataLayout } from './store/paths';
import { RecentStore } from './store/recent';
import { ProfileStore } from './store/profiles';
import { RunStore } from './store/runs';
import { UploadStore } from './store/uploads';
import { originOf, profileOf, resolveModel, type AppIdentity, type CoreContext } from './handlers/context';
import { HardwareCache, hardwareHandlers } from './handlers/hardware';
import { modelHandlers } from './handlers/model';
import { benchHandlers } from './handlers/bench';
import { runsHandlers } from './handlers/runs';
import { upgradedFile, upgradeHandlers } from './handlers/upgrade';
import { ConvertedStore } from './convert/store';
import { exportVariant, quantizeHandlers, variantFile, variantForBench, type ExportOptions } from './handlers/quantize';
import { adviceHandlers } from './handlers/advice';
import { renderReport, type RenderedReport, type ReportRequest } from './handlers/report';
import { convertHandlers } from './handlers/convert';
import { ConvertService } from './convert/service';
import { machineRouting, machinesHandlers } from './handlers/machines';
import { FileSecretStore, Machines, MemorySecretStore, type SecretStore } from './machines';

export type { RenderedReport, ReportRequest } from './handlers/report';

const require = createRequire(import.meta.url);
/** Running a converted model twice against the original's outputs; a hung worker still ends. */
const CONVERT_CHECK_TIMEOUT_MS = 10 * 60_000;

export interface ServicesOptions {
  host: HostKind;
  userDataDir: string;
  /** The built worker bundle the supervisor launches. */
  workerEntry: string;
  launcher: WorkerLauncher;
  versions: { electron: string | null; chromium: string | null };
  /**
   * Where other machines' access tokens are kept (docs/machines.md#tokens): the desktop app passes the OS's secret
   * storage; by default the CLI keeps them in a 0600 file in the data folder, the browser host in memory only.
   */
  secrets?: SecretStore;
  /** The time limit of one conversion from PyTorch / TensorFlow (default 10 minutes, or INFERSCOPE_CONVERT_TIMEOUT_MS). */
  convertTimeoutMs?: number;
}

export interface Services {
  handlers: CoreHandlers;
  /** For host commands: where a variant's model is, and copying it where the user chose. */
  exportVariant(id: string, target: string, options?: ExportOptions): Promise<{ path: string }>;
  variantFile(id: string): Promise<{ path: string; fileName: string }>;
  /** An upgraded model by id (the browser host downloads it). */
  upgradedFile(id: string): Promise<{ path: string; fileName: string }>;
  /** A model converted from PyTorch / TensorFlow, by id (the browser host downloads it). */
  convertedFile(id: string): Promise<{ path: string; fileName: string }>;
  renderReport(request: ReportRequest): Promise<RenderedReport>;
  /** Ends the worker processes; call when the host shuts down. */
  dispose(): Promise<void>;
}

export function createServices(options: ServicesOptions): Services {
  const layout = dataLayout(options.userDataDir);
  const webgpu = webgpuEnvironment();
  const app: AppIdentity = {
    host: options.host,
    version: (require('../../package.json') as { version: string }).version,
    userDataDir: options.userDataDir,
    versions: {
      node: process.versions.node,
      onnxruntime: (require('onnxruntime-node/package.json') as { version: string }).version,
      ...options.versions,
    },
  };
  const supervisor = new WorkerSupervisor({
    launcher: options.launcher,
    workerEntry: options.workerEntry,
    env: { ...webgpu.env, ...NO_TELEMETRY_ENV },
  });
  // Quantization jobs get their own worker: they may run while a benchmark measures, and they
  // want a different allocator setting (see QUANTIZE_WORKER_ENV).
  const quantizeSupervisor = new WorkerSupervisor({
    launcher: options.launcher,
    workerEntry: options.workerEntry,
    env: { ...webgpu.env, ...QUANTIZE_WORKER_ENV, ...NO_TELEMETRY_ENV },
  });
  const hardware = new HardwareCache(supervisor);
  const variants = new VariantStore(layout.variants);
  const profiles = new ProfileStore(layout.profilesFile);
  const runs: RunStore = new RunStore(layout.runs, (id) => runner.isActive(id) || machines.runs.isActive(id));
  const runner: BenchRunner = new BenchRunner({
    supervisor,
    store: runs,
    resolveModel: (source) => resolveModel(layout, source),
    // A converted model's run names the PyTorch / TensorFlow file it came from.
    inspect: async (file, dims) => ({ ...(await inspectModel(file, { dims })), convertedFrom: await originOf(layout, file) }),
    profile: (file, sample) => profileOf({ profiles }, file, sample),
    variant: (id) => variantForBench(variants, id),
    hardware: () => hardware.get(),
    environment: { host: app.host, app: { version: app.version }, versions: app.versions },
  });
  const machines: Machines = new Machines({
    root: options.userDataDir,
    secrets:
      options.secrets ??
      (options.host === 'cli' ? new FileSecretStore(path.join(options.userDataDir, 'machine-tokens.json')) : new MemorySecretStore()),
    app: { version: app.version, host: app.host },
    runs,
    profiles,
    hardware: () => hardware.get(),
  });
  // Conversions run the user's Python in child processes; their check runs in the quantization worker.
  const convert = new ConvertService({
    root: layout.converted,
    check: (modelPath, manifestPath, signal) =>
      quantizeSupervisor.request({ type: 'convert-check', modelPath, manifestPath }, { timeoutMs: CONVERT_CHECK_TIMEOUT_MS, signal }),
    ...(options.convertTimeoutMs !== undefined ? { timeoutMs: options.convertTimeoutMs } : {}),
  });
  const ctx: CoreContext = {
    app,
    layout,
    recent: new RecentStore(layout.recentFile),
    profiles,
    runs,
    variants,
    uploads: new UploadStore(layout.uploads),
    runner,
    hardware,
    quantizeSupervisor,
    quantizeJobs: new Map(),
  };

  const local = {
    ...hardwareHandlers(app, hardware),
    ...modelHandlers(ctx),
    ...benchHandlers(ctx),
    ...runsHandlers(ctx),
    ...quantizeHandlers(ctx),
    ...upgradeHandlers(ctx),
    ...adviceHandlers(ctx),
    ...convertHandlers(convert),
  };
  // A request that names another machine runs there (handlers/machines.ts); the rest run here.
  const handlers: CoreHandlers = { ...local, ...machinesHandlers(machines), ...machineRouting(local, machines) };

  return {
    handlers,
    exportVariant: (id, target, exportOptions) => exportVariant(variants, id, target, exportOptions),
    variantFile: (id) => variantFile(variants, id),
    upgradedFile: (id) => upgradedFile(layout.upgraded, id),
    convertedFile: (id) => new ConvertedStore(layout.converted).file(id),
    renderReport: (request) => renderReport(runs, app.version, request),
    dispose: async () => {
      await machines.dispose();
      for (const job of ctx.quantizeJobs.values()) job.abort();
      convert.dispose();
      await runner.cancelAll();
      await Promise.all([supervisor.dispose(), quantizeSupervisor.dispose()]);
    },
  };
}
