/**
 * How advice sees run documents: machines, device classes (what a configuration's
 * instance costs), and setups — a run's configurations that differ only in concurrency,
 * which together make one latency–throughput curve.
 */
import type { DeviceClass } from '../domain/advice';
import { LOCAL_MACHINE_ID, LOCAL_MACHINE_NAME } from '../domain/machine';
import { isGpuProvider, providerDisplayName, providerVendor } from '../domain/providers';
import type { ConfigResult, RunDocument } from '../domain/run';

/** The provider's name as the run's machine reported it, else the usual one. */
export function runProviderName(run: RunDocument, ep: string): string {
  return run.environment.hardware.providers.find((p) => p.name === ep)?.displayName ?? providerDisplayName(ep);
}

/** The provider's only adapter is a software emulation (WebGPU on SwiftShader): a fallback, never a GPU. */
export function isSoftwareAdapter(run: RunDocument, ep: string): boolean {
  const hw = run.environment.hardware;
  return hw.providers.find((p) => p.name === ep)?.software === true || hw.providerAssessments.find((p) => p.name === ep)?.software === true;
}

/**
 * Providers that run on a GPU (or Apple's GPU/Neural Engine) count as GPU setups when they run at
 * all. The rest (cpu, xnnpack, openvino's CPU device, qnn's NPU) use the machine that was priced
 * as a CPU machine. WebGPU counts only on a hardware adapter.
 */
export function isHardwareGpuProvider(run: RunDocument, ep: string): boolean {
  return isGpuProvider(ep) && !isSoftwareAdapter(run, ep);
}

export function deviceClassOf(run: RunDocument, ep: string): DeviceClass {
  return isHardwareGpuProvider(run, ep) ? 'gpu' : 'cpu';
}

/** The GPU a provider ran on, by the device_id option where given (nvidia-smi's order). */
export function gpuNameFor(run: RunDocument, ep: string): string | null {
  if (!isHardwareGpuProvider(run, ep)) return null;
  const hw = run.environment.hardware;
  const vendor = providerVendor(ep);
  const candidates = vendor ? hw.gpus.filter((g) => g.vendor === vendor) : hw.gpus;
  const deviceId = run.plan.epOptions[ep]?.device_id;
  const chosen = (typeof deviceId === 'number' ? candidates[deviceId] : undefined) ?? candidates[0];
  return chosen?.name ?? hw.providers.find((p) => p.name === ep)?.adapter ?? null;
}

/** "Intel Xeon Gold 6338 (8 threads) + NVIDIA L4". */
export function machineLabel(run: RunDocument): string {
  const hw = run.environment.hardware;
  const gpus = hw.gpus.map((g) => g.name);
  const gpu =
    gpus.length === 0 ? '' : ` + ${gpus.length > 1 && gpus.every((g) => g === gpus[0]) ? `${gpus.length}× ${gpus[0]}` : gpus.join(', ')}`;
  return `${hw.cpu.brand} (${hw.cpu.logicalCores} threads)${gpu}`;
}

/**
 * Two runs come from the same machine when CPU, GPUs and host name agree, and both were measured here or on the same
 * saved machine (two `inferscope serve` hosts on one box are two machines to the person who added them).
 */
export function machineIdentity(run: RunDocument): string {
  return `${run.machine ? `${run.machine.id}:` : ''}${machineLabel(run)}@${run.environment.hardware.os.hostname}`;
}

/** The key of a run's machine price (`prices.byMachine`): a saved machine's id, 'local' here, null for an imported run. */
export function machineKeyOf(run: RunDocument): string | null {
  if (run.machine) return run.machine.id;
  return run.importedFrom === null ? LOCAL_MACHINE_ID : null;
}

/**
 * Each run's machine as the person calls it: "gpu-box" for a saved machine, "this machine" for one measured here, the
 * hardware for an imported run — and the hardware too where runs under one name were measured on different hardware
 * (a data folder moved to another computer), so two machines never read as one.
 */
export function machineNames(runs: readonly RunDocument[]): string[] {
  const named = runs.map((run) => run.machine?.name ?? (run.importedFrom === null ? LOCAL_MACHINE_NAME : machineLabel(run)));
  const identities = new Map<string, Set<string>>();
  runs.forEach((run, i) => {
    const name = named[i] as string;
    identities.set(name, (identities.get(name) ?? new Set()).add(machineIdentity(run)));
  });
  return runs.map((run, i) => {
    const name = named[i] as string;
    return (identities.get(name)?.size ?? 0) > 1 ? machineLabel(run) : name;
  });
}

export function machinesDiffer(runs: readonly RunDocument[]): boolean {
  return new Set(runs.map(machineIdentity)).size > 1;
}

/** "2026-11-28 22:37 UTC": when a run was started, to the minute, the same on every machine. */
export function runTimeLabel(createdAt: string): string {
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) return createdAt;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Names that identify runs wherever they are listed: the model and when it was measured
 * ("mnist-cnn · 2026-11-28 22:37 UTC"), the machine where runs come from several, and a number
 * where two would still read the same.
 */
export function runLabels(runs: readonly RunDocument[]): string[] {
  const machines = machinesDiffer(runs) ? machineNames(runs) : null;
  const labels = runs.map((r, i) => `${r.model.name} · ${runTimeLabel(r.createdAt)}${machines ? ` on ${machines[i]}` : ''}`);
  const seen = new Map<string, number>();
  return labels.map((label) => {
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return labels.filter((l) => l === label).length > 1 ? `${label} #${n}` : label;
  });
}

/**
 * What a run measured, in a few words: "CPU, WebGPU · batch 1, 8 · 1–8 parallel requests" (the
 * providers, batch sizes and concurrency levels of its configurations).
 */
export function runSetupText(run: Pick<RunDocument, 'configs' | 'environment'>): string {
  const unique = <T>(values: T[]): T[] => [...new Set(values)];
  const eps = unique(run.configs.map((c) => c.ep));
  const names = eps.map((ep) => run.environment.hardware.providers.find((p) => p.name === ep)?.displayName ?? providerDisplayName(ep));
  const batches = unique(run.configs.map((c) => c.batch)).sort((a, b) => a - b);
  const levels = unique(run.configs.map((c) => c.concurrency)).sort((a, b) => a - b);
  const parts = [names.join(', ') || 'no configuration'];
  if (batches.length > 0) parts.push(`batch ${batches.join(', ')}`);
  const low = levels[0];
  const high = levels[levels.length - 1];
  if (low !== undefined && high !== undefined) {
    parts.push(low === high ? `${low} request${low === 1 ? '' : 's'} at a time` : `${low}–${high} parallel requests`);
  }
  return parts.join(' · ');
}

/** The model as given. */
export const ORIGINAL_VARIANT = 'original';

/** "int8 dynamic (per-channel)", or for the model as given its precision ("fp32 (as given)"). */
export function variantLabel(run: RunDocument, variant: string): string {
  const known = run.variants.find((v) => v.id === variant)?.label;
  if (known) return known;
  return variant === ORIGINAL_VARIANT ? `${run.model.precision} (as given)` : variant;
}

/** A variant's output quality against the original, in words; null for the original or when not measured. */
export function variantQualityText(run: RunDocument, variant: string): string | null {
  if (variant === ORIGINAL_VARIANT) return null;
  const quality = run.variants.find((v) => v.id === variant)?.quality ?? [];
  const first = quality[0];
  if (!first) return null;
  const parts: string[] = [];
  if (first.top1Agreement !== undefined) parts.push(`top-1 agreement ${(first.top1Agreement * 100).toFixed(1)} %`);
  if (first.sqnrDb !== null) parts.push(`SQNR ${first.sqnrDb.toFixed(1)} dB`);
  parts.push(`cosine ${first.cosine.toFixed(4)}`);
  return `${parts.join(', ')} against the original (output ${first.name}${quality.length > 1 ? ` and ${quality.length - 1} more` : ''})`;
}

/** Some configuration ran a variant of the model: labels then say which model each setup ran. */
export function measuresVariants(runs: readonly RunDocument[]): boolean {
  return runs.some((r) => r.configs.some((c) => c.variant !== ORIGINAL_VARIANT));
}

export function threadsLabel(threads: number): string {
  return threads === 0 ? "onnxruntime's default threads" : `${threads} thread${threads === 1 ? '' : 's'}`;
}

/** "CPU with 2 threads, batch 1" / "CUDA on NVIDIA L4, batch 8" / "int8 dynamic on CPU with 2 threads, batch 1". */
export function setupLabel(run: RunDocument, ep: string, threads: number, batch: number, variant: string | null = null): string {
  const name = runProviderName(run, ep);
  const gpu = gpuNameFor(run, ep);
  let device = gpu ? `${name} on ${gpu}` : name;
  const software = isSoftwareAdapter(run, ep);
  if (software) {
    const adapter = run.environment.hardware.providers.find((p) => p.name === ep)?.adapter;
    device += ` on ${adapter ?? 'a software adapter'}, not a GPU`;
  }
  // Threads only shape CPU kernels; on a GPU provider or a software adapter they are noise in the label.
  const threadsPart = deviceClassOf(run, ep) === 'cpu' && !software && !isGpuProvider(ep) ? ` with ${threadsLabel(threads)}` : '';
  const model = variant === null ? '' : `${variantLabel(run, variant)} on `;
  return `${model}${device}${threadsPart}, batch ${batch}`;
}

export interface Setup {
  id: string;
  runIndex: number;
  run: RunDocument;
  /** "original" or a variant id. */
  variant: string;
  ep: string;
  batch: number;
  threads: number;
  /** Finished configurations with statistics, by ascending concurrency. */
  configs: ConfigResult[];
}

/** A configuration advice can use: measured to the end, with statistics and a throughput. */
export function isMeasured(
  config: ConfigResult,
): config is ConfigResult & { latencyMs: NonNullable<ConfigResult['latencyMs']>; throughput: NonNullable<ConfigResult['throughput']> } {
  return config.status === 'done' && config.latencyMs !== null && config.throughput !== null;
}

/** Configurations grouped by (run, model variant, provider, batch, threads). */
export function groupSetups(runs: readonly RunDocument[]): Setup[] {
  const setups = new Map<string, Setup>();
  runs.forEach((run, runIndex) => {
    for (const config of run.configs) {
      if (!isMeasured(config)) continue;
      const id = `${runIndex}:${config.variant}/${config.ep}/b${config.batch}/t${config.threads}`;
      let setup = setups.get(id);
      if (!setup) {
        setup = { id, runIndex, run, variant: config.variant, ep: config.ep, batch: config.batch, threads: config.threads, configs: [] };
        setups.set(id, setup);
      }
      setup.configs.push(config);
    }
  });
  for (const setup of setups.values()) setup.configs.sort((a, b) => a.concurrency - b.concurrency);
  return [...setups.values()];
}

/**
 * What makes two runs' setups the same measurement: the same model file on the same machine,
 * the same variant, provider (with its options), batch, threads, dimension values and graph
 * optimization. Only then does a newer run replace an older one's numbers.
 */
function sameSetupKey(setup: Setup): string {
  const { run } = setup;
  // Documents from before dims and options were kept (and hand-made ones) may lack them.
  const dims = Object.entries((run.model.dims as Record<string, number> | undefined) ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return [
    run.model.name,
    run.model.sha256,
    machineIdentity(run),
    setup.variant,
    setup.ep,
    setup.batch,
    setup.threads,
    JSON.stringify(dims),
    JSON.stringify((run.plan.epOptions as RunDocument['plan']['epOptions'] | undefined)?.[setup.ep] ?? {}),
    run.plan.graphOptimizationLevel,
  ].join('|');
}

/** An older measurement of a setup that a newer run measured again: left out of the verdict. */
export interface SupersededPair {
  setup: Setup;
  by: Setup;
}

/**
 * The newest measurement of every setup: where several runs measured the same setup (a capacity
 * sweep after a first run, a run measured again), the latest run's numbers win and the older
 * ones are set aside, named, so a person can untick the newer run to use them instead.
 */
export function newestSetups(setups: readonly Setup[]): { kept: Setup[]; superseded: SupersededPair[] } {
  const newest = new Map<string, Setup>();
  const isNewer = (a: Setup, b: Setup): boolean => {
    const at = Date.parse(a.run.createdAt);
    const bt = Date.parse(b.run.createdAt);
    return at !== bt ? at > bt : a.runIndex > b.runIndex;
  };
  for (const setup of setups) {
    const key = sameSetupKey(setup);
    const current = newest.get(key);
    if (!current || isNewer(setup, current)) newest.set(key, setup);
  }
  const kept: Setup[] = [];
  const superseded: SupersededPair[] = [];
  for (const setup of setups) {
    const winner = newest.get(sameSetupKey(setup)) as Setup;
    if (winner === setup) kept.push(setup);
    else superseded.push({ setup, by: winner });
  }
  return { kept, superseded };
}

/** One model among the runs: its name as shown (told apart by its hash where two files share a name) and its runs. */
export interface ModelGroup {
  sha256: string;
  name: string;
  runIndexes: number[];
}

/** The runs grouped by the model they measured (its name and file content), in the order the models first appear. */
export function groupModels(runs: readonly RunDocument[]): ModelGroup[] {
  const groups = new Map<string, ModelGroup>();
  runs.forEach((run, i) => {
    const key = `${run.model.name}|${run.model.sha256}`;
    const group = groups.get(key);
    if (group) group.runIndexes.push(i);
    else groups.set(key, { sha256: run.model.sha256, name: run.model.name, runIndexes: [i] });
  });
  const list = [...groups.values()];
  const sameName = (group: ModelGroup) => list.filter((other) => other.name === group.name).length > 1;
  return list.map((group) => (sameName(group) ? { ...group, name: `${group.name} (${group.sha256.slice(0, 8)})` } : group));
}
