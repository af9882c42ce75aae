import type { Gpu } from '../../../shared/domain/hardware';
import { runTool } from '../exec';
import { type GpuDetectContext, type GpuSource, normalizeBusId, valueOrNull } from './source';

export const ROCM_SMI_ARGS = ['--showproductname', '--showmeminfo', 'vram', '--showbus', '--showdriverversion', '--json'];

/** rocm-smi has spelled its keys "Card series" and "Card Series" across releases. */
function field(record: Record<string, unknown>, pattern: RegExp): string | null {
  for (const [key, value] of Object.entries(record)) {
    if (pattern.test(key) && (typeof value === 'string' || typeof value === 'number')) return valueOrNull(String(value));
  }
  return null;
}

/**
 * Parses `rocm-smi … --json`: one object per "cardN" plus a "system" object with the driver
 * version. Warnings that rocm-smi prints before the JSON are skipped.
 */
export function parseRocmSmiJson(text: string): Gpu[] {
  const start = text.indexOf('{');
  if (start < 0) return [];
  let data: unknown;
  try {
    data = JSON.parse(text.slice(start));
  } catch {
    return [];
  }
  if (typeof data !== 'object' || data === null) return [];
  const entries = Object.entries(data as Record<string, unknown>);
  const system = (entries.find(([key]) => key === 'system')?.[1] ?? {}) as Record<string, unknown>;
  const driver = field(system, /^driver version$/i);
  return entries
    .filter(([key, value]) => /^card\d+$/i.test(key) && typeof value === 'object' && value !== null)
    .sort(([a], [b]) => Number(a.slice(4)) - Number(b.slice(4)))
    .map(([key, value]) => {
      const card = value as Record<string, unknown>;
      const series = field(card, /^card series$/i) ?? field(card, /^card model$/i) ?? key;
      const vram = Number.parseInt(field(card, /^vram total memory \(b\)$/i) ?? '', 10);
      const gpu: Gpu = {
        vendor: 'amd',
        name: /^amd\b/i.test(series) ? series : `AMD ${series}`,
        vramBytes: Number.isFinite(vram) && vram > 0 ? vram : null,
        driver,
        cudaVersion: null,
        computeCapability: null,
        source: 'rocm-smi',
      };
      const busId = normalizeBusId(field(card, /^pci bus$/i));
      if (busId) gpu.busId = busId;
      return gpu;
    });
}

export function createAmdSource(ctx: GpuDetectContext, options: { rocmSmi: boolean }): GpuSource {
  return {
    name: 'amd',
    async detect() {
      const onBus = (await ctx.displayControllers()).filter((gpu) => gpu.vendor === 'amd');
      // rocm-smi only matters where an AMD GPU is present; elsewhere its absence is not news.
      if (!options.rocmSmi || onBus.length === 0) return onBus;
      const result = await runTool('rocm-smi', ROCM_SMI_ARGS, ctx.timeoutMs);
      if (!result.ok) {
        const why = result.reason === 'missing' ? 'rocm-smi not found (ROCm is not installed)' : result.message;
        ctx.notes.push(`AMD: ${why}; AMD GPU(s) listed from the PCI bus only`);
        return onBus;
      }
      return [...parseRocmSmiJson(result.stdout), ...onBus];
    },
  };
}
