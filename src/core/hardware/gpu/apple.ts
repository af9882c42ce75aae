import type { Gpu } from '../../../shared/domain/hardware';
import { runTool } from '../exec';
import { type GpuDetectContext, type GpuSource, vendorFromText } from './source';

/** "8 GB" / "1536 MB" → bytes */
function sizeToBytes(text: unknown): number | null {
  const match = /^([\d.]+)\s*(MB|GB|TB)$/i.exec(typeof text === 'string' ? text.trim() : '');
  if (!match) return null;
  const scale = { MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[(match[2] ?? 'MB').toUpperCase() as 'MB' | 'GB' | 'TB'];
  return Math.round(Number.parseFloat(match[1] ?? '0') * scale);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * Parses `system_profiler SPDisplaysDataType -json`. Apple silicon GPUs share system memory, so
 * they (like Intel iGPUs with "vram_shared") get no VRAM figure; only dedicated VRAM counts.
 */
export function parseSystemProfilerDisplays(json: string): Gpu[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  const items = (data as { SPDisplaysDataType?: unknown } | null)?.SPDisplaysDataType;
  if (!Array.isArray(items)) return [];
  return items
    .filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
    .map((item) => {
      const name = text(item['sppci_model']) || text(item['_name']) || 'unknown GPU';
      const vendorText = `${text(item['spdisplays_vendor'])} ${name}`.replace(/_/g, ' ');
      return {
        vendor: vendorFromText(vendorText),
        name,
        vramBytes: sizeToBytes(item['spdisplays_vram']),
        driver: null,
        cudaVersion: null,
        computeCapability: null,
        source: 'system_profiler' as const,
      };
    });
}

export function createAppleSource(ctx: GpuDetectContext): GpuSource {
  return {
    name: 'apple',
    async detect() {
      const result = await runTool('system_profiler', ['SPDisplaysDataType', '-json'], ctx.slowTimeoutMs);
      if (!result.ok) {
        ctx.notes.push(`GPU: ${result.message}`);
        return [];
      }
      return parseSystemProfilerDisplays(result.stdout);
    },
  };
}
