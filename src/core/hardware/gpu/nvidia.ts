import path from 'node:path';
import type { Gpu, NvidiaGpuUsage } from '../../../shared/domain/hardware';
import { runTool, TOOL_TIMEOUT_MS, type ToolResult } from '../exec';
import { type GpuDetectContext, type GpuSource, normalizeBusId, numberOrNull, valueOrNull } from './source';

export const NVIDIA_QUERY_FIELDS = [
  'index',
  'name',
  'uuid',
  'pci.bus_id',
  'memory.total',
  'memory.used',
  'driver_version',
  'compute_cap',
  'utilization.gpu',
  'power.draw',
  'power.limit',
  'temperature.gpu',
] as const;

export const NVIDIA_USAGE_FIELDS = [
  'index',
  'uuid',
  'memory.used',
  'memory.total',
  'utilization.gpu',
  'power.draw',
  'power.limit',
  'temperature.gpu',
] as const;

const MIB = 1024 * 1024;

export type NvidiaSmiRow = Record<string, string | null>;

/**
 * Parses `--format=csv,noheader,nounits` output. Placeholders ("[N/A]", "[Not Supported]") become
 * null; a line whose column count does not match the query is dropped rather than misread.
 */
export function parseNvidiaSmiCsv(text: string, fields: readonly string[]): NvidiaSmiRow[] {
  const rows: NvidiaSmiRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const cells = line.split(',').map((cell) => cell.trim());
    if (cells.length !== fields.length) continue;
    const row: NvidiaSmiRow = {};
    fields.forEach((field, i) => {
      row[field] = valueOrNull(cells[i]);
    });
    rows.push(row);
  }
  return rows;
}

/** "| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |" → "12.4" */
export function parseCudaVersion(text: string): string | null {
  return /CUDA Version\s*:\s*(\d+(?:\.\d+)*)/i.exec(text)?.[1] ?? null;
}

function mibToBytes(value: string | null | undefined): number | null {
  const mib = numberOrNull(value ?? undefined);
  return mib === null ? null : Math.round(mib * MIB);
}

function usageFromRow(row: NvidiaSmiRow, fallbackIndex: number): NvidiaGpuUsage {
  const index = numberOrNull(row['index'] ?? undefined);
  return {
    index: index !== null && index >= 0 ? Math.trunc(index) : fallbackIndex,
    uuid: row['uuid'] ?? null,
    memoryUsedBytes: mibToBytes(row['memory.used']),
    memoryTotalBytes: mibToBytes(row['memory.total']),
    utilizationPercent: numberOrNull(row['utilization.gpu'] ?? undefined),
    powerDrawWatts: numberOrNull(row['power.draw'] ?? undefined),
    powerLimitWatts: numberOrNull(row['power.limit'] ?? undefined),
    temperatureC: numberOrNull(row['temperature.gpu'] ?? undefined),
  };
}

export function parseNvidiaUsageCsv(text: string): NvidiaGpuUsage[] {
  return parseNvidiaSmiCsv(text, NVIDIA_USAGE_FIELDS).map(usageFromRow);
}

export function nvidiaGpusFromCsv(text: string, cudaVersion: string | null, fields: readonly string[] = NVIDIA_QUERY_FIELDS): Gpu[] {
  return parseNvidiaSmiCsv(text, fields).map((row, i) => {
    const gpu: Gpu = {
      vendor: 'nvidia',
      name: row['name'] ?? 'NVIDIA GPU',
      vramBytes: mibToBytes(row['memory.total']),
      driver: row['driver_version'] ?? null,
      cudaVersion,
      computeCapability: row['compute_cap'] ?? null,
      source: 'nvidia-smi',
      usage: usageFromRow(row, i),
    };
    const uuid = row['uuid'];
    const busId = normalizeBusId(row['pci.bus_id']);
    if (uuid) gpu.uuid = uuid;
    if (busId) gpu.busId = busId;
    return gpu;
  });
}

/** Windows drivers put nvidia-smi in System32 without always adding it to PATH. */
function nvidiaSmiCandidates(): string[] {
  const candidates = ['nvidia-smi'];
  if (process.platform === 'win32') {
    candidates.push(path.join(process.env['SystemRoot'] ?? 'C:\\Windows', 'System32', 'nvidia-smi.exe'));
  }
  return candidates;
}

async function runNvidiaSmi(args: readonly string[], timeoutMs: number): Promise<ToolResult> {
  let result: ToolResult = { ok: false, reason: 'missing', message: 'nvidia-smi not found', stdout: '' };
  for (const file of nvidiaSmiCandidates()) {
    result = await runTool(file, args, timeoutMs);
    if (result.ok || result.reason !== 'missing') return result;
  }
  return result;
}

function queryArgs(fields: readonly string[]): string[] {
  return [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'];
}

/** Drivers older than 510 reject compute_cap as a field; ask again without it. */
async function queryGpus(timeoutMs: number): Promise<{ result: ToolResult; fields: readonly string[] }> {
  const result = await runNvidiaSmi(queryArgs(NVIDIA_QUERY_FIELDS), timeoutMs);
  if (!result.ok && result.reason === 'failed' && /compute_cap|not a valid field/i.test(`${result.message} ${result.stdout}`)) {
    const fields = NVIDIA_QUERY_FIELDS.filter((field) => field !== 'compute_cap');
    return { result: await runNvidiaSmi(queryArgs(fields), timeoutMs), fields };
  }
  return { result, fields: NVIDIA_QUERY_FIELDS };
}

export function createNvidiaSource(ctx: GpuDetectContext): GpuSource {
  return {
    name: 'nvidia',
    async detect() {
      const [query, header] = await Promise.all([queryGpus(ctx.slowTimeoutMs), runNvidiaSmi([], ctx.slowTimeoutMs)]);
      if (!query.result.ok && query.result.reason === 'timeout') ctx.nvidiaSmiHung = true;
      // Only after nvidia-smi has answered: on Windows the controller list comes from a library
      // that runs nvidia-smi itself, synchronously, and is skipped when nvidia-smi hangs.
      const controllers = await ctx.displayControllers();
      const onPciBus = controllers.filter((gpu) => gpu.vendor === 'nvidia');
      const { result, fields } = query;
      if (!result.ok) {
        const why =
          result.reason === 'missing'
            ? 'nvidia-smi not found'
            : result.reason === 'timeout'
              ? `${result.message} (the NVIDIA driver may be hung)`
              : result.message;
        ctx.notes.push(
          onPciBus.length > 0
            ? `NVIDIA: ${why}; ${onPciBus.length} NVIDIA GPU(s) seen on the PCI bus have no working driver, so CUDA and TensorRT cannot run`
            : `NVIDIA: ${why}; no NVIDIA GPU detected`,
        );
        return onPciBus;
      }
      const cudaVersion = header.ok ? parseCudaVersion(header.stdout) : null;
      if (cudaVersion === null)
        ctx.notes.push(`NVIDIA: CUDA version unknown (${header.ok ? 'not in the nvidia-smi header' : header.message})`);
      return [...nvidiaGpusFromCsv(result.stdout, cudaVersion, fields), ...onPciBus];
    },
  };
}

/**
 * One sample of memory, utilization, power and temperature per NVIDIA GPU, for sampling during a
 * benchmark. Empty when nvidia-smi is missing or does not answer in time.
 */
export async function queryNvidiaUsage(timeoutMs: number = TOOL_TIMEOUT_MS): Promise<NvidiaGpuUsage[]> {
  const result = await runNvidiaSmi(queryArgs(NVIDIA_USAGE_FIELDS), timeoutMs);
  return result.ok ? parseNvidiaUsageCsv(result.stdout) : [];
}
