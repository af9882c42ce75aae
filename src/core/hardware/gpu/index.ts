import type { Gpu, GpuSourceKind } from '../../../shared/domain/hardware';
import { createAmdSource } from './amd';
import { createAppleSource } from './apple';
import { createIntelSource } from './intel';
import { createNvidiaSource } from './nvidia';
import { linuxDisplayControllers } from './pci';
import type { GpuDetectContext, GpuSource } from './source';
import { siDisplayControllers } from './systeminformation';

/** Sources that talk to the driver itself; their data wins over a bus listing of the same card. */
const DRIVER_SOURCES: ReadonlySet<GpuSourceKind> = new Set(['nvidia-smi', 'rocm-smi', 'system_profiler']);

function comparableName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function sameCard(a: Gpu, b: Gpu): boolean {
  if (a.vendor !== b.vendor) return false;
  if (a.busId && b.busId) return a.busId === b.busId;
  return comparableName(a.name) === comparableName(b.name);
}

/**
 * A card seen both by its driver tool and by a bus listing is one card: keep the driver's entry.
 * Each driver entry absorbs at most one listing entry, so two identical cards stay two.
 */
export function dedupeGpus(gpus: readonly Gpu[]): Gpu[] {
  const fromDriver = gpus.filter((gpu) => DRIVER_SOURCES.has(gpu.source));
  const absorbed = new Set<Gpu>();
  const kept = [...fromDriver];
  for (const gpu of gpus) {
    if (DRIVER_SOURCES.has(gpu.source)) continue;
    const twin = fromDriver.find((candidate) => !absorbed.has(candidate) && sameCard(candidate, gpu));
    if (twin) absorbed.add(twin);
    else kept.push(gpu);
  }
  return kept;
}

function createOtherSource(ctx: GpuDetectContext): GpuSource {
  return {
    name: 'other',
    async detect() {
      // Server BMC graphics and virtual adapters are listed too, as vendor "other".
      return (await ctx.displayControllers()).filter((gpu) => gpu.vendor === 'other' || gpu.vendor === 'apple');
    },
  };
}

export interface DetectGpusOptions {
  timeoutMs: number;
  slowTimeoutMs: number;
  notes: string[];
}

/** The one place that decides which GPU sources run on which OS. */
export async function detectGpus(options: DetectGpusOptions): Promise<Gpu[]> {
  const platform = process.platform;
  let controllers: Promise<Gpu[]> | undefined;
  const ctx: GpuDetectContext = {
    timeoutMs: options.timeoutMs,
    slowTimeoutMs: options.slowTimeoutMs,
    notes: options.notes,
    nvidiaSmiHung: false,
    displayControllers: () => (controllers ??= listDisplayControllers()),
  };

  function listDisplayControllers(): Promise<Gpu[]> {
    // systeminformation's Linux path is lspci plus a blocking nvidia-smi call without a timeout,
    // so on Linux we read lspci/sysfs ourselves.
    if (platform === 'linux') return linuxDisplayControllers(ctx.timeoutMs, ctx.notes);
    if (ctx.nvidiaSmiHung) {
      ctx.notes.push('GPU: OS display adapter list skipped, because it would call the hung nvidia-smi again without a timeout');
      return Promise.resolve([]);
    }
    return siDisplayControllers(ctx.slowTimeoutMs, ctx.notes);
  }

  const detect = async (source: GpuSource): Promise<Gpu[]> => {
    try {
      return await source.detect();
    } catch (error) {
      ctx.notes.push(`GPU (${source.name}): ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  };

  if (platform === 'darwin') return dedupeGpus(await detect(createAppleSource(ctx)));

  // NVIDIA first: whether nvidia-smi hangs decides whether the OS adapter list is safe to ask for.
  const nvidia = await detect(createNvidiaSource(ctx));
  const rest = await Promise.all(
    [createAmdSource(ctx, { rocmSmi: platform === 'linux' }), createIntelSource(ctx), createOtherSource(ctx)].map(detect),
  );
  return dedupeGpus([...nvidia, ...rest.flat()]);
}
