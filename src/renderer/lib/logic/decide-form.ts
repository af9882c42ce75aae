import { LOCAL_MACHINE_ID, LOCAL_MACHINE_NAME } from '../../../shared/domain/machine';
import type { RunSummary } from '../../../shared/domain/run';
import {
  DEFAULT_CPU_MACHINE_PER_HOUR,
  DEFAULT_ELECTRICITY_PER_KWH,
  DEFAULT_GPU_MACHINE_PER_HOUR,
  type LatencyPercentile,
  type Requirement,
  type RequirementInput,
} from '../../../shared/domain/advice';

export const LATENCY_PERCENTILES: readonly LatencyPercentile[] = ['p50', 'p90', 'p95', 'p99'];

/**
 * A price as typed. `assumed` stays true until the person types one: an assumed price is left
 * out of the requirement, so the verdict reports it as an assumption rather than as theirs.
 */
export interface PriceDraft {
  text: string;
  assumed: boolean;
}

/** The requirement form as typed; an empty latency or throughput means "no such bound". */
export interface RequirementDraft {
  percentile: LatencyPercentile;
  latencyMs: string;
  throughputRps: string;
  maxBatchDelayMs: string;
  cpuPerHour: PriceDraft;
  gpuPerHour: PriceDraft;
  electricityPerKwh: PriceDraft;
  /** "L4=0.80, H100=4.50": $ per hour of a machine with that GPU. */
  gpuByName: string;
  /** $ per hour of a machine like one the runs were measured on, as typed, by its id ('local', 'gpu-box'); empty: none. */
  machinePrices: Record<string, string>;
}

export type PriceField = 'cpuPerHour' | 'gpuPerHour' | 'electricityPerKwh';
export type RequirementField = 'latencyMs' | 'throughputRps' | 'maxBatchDelayMs' | PriceField | 'gpuByName' | 'machinePrices' | 'goal';

export const PRICE_DEFAULTS: Readonly<Record<PriceField, number>> = {
  cpuPerHour: DEFAULT_CPU_MACHINE_PER_HOUR,
  gpuPerHour: DEFAULT_GPU_MACHINE_PER_HOUR,
  electricityPerKwh: DEFAULT_ELECTRICITY_PER_KWH,
};

export type RequirementBuild =
  { ok: true; requirement: RequirementInput } | { ok: false; errors: Partial<Record<RequirementField, string>> };

function assumedPrice(field: PriceField): PriceDraft {
  return { text: priceText(PRICE_DEFAULTS[field]), assumed: true };
}

function givenPrice(field: PriceField, value: number | undefined): PriceDraft {
  return value === undefined ? assumedPrice(field) : { text: priceText(value), assumed: false };
}

/** "0.10", "1.20", "0.0042": cents at least, never rounding a small price away. */
export function priceText(value: number): string {
  return value >= 0.01 && Number(value.toFixed(2)) === value ? value.toFixed(2) : String(value);
}

/** The form before anything is known: no bounds yet (the person states them), prices assumed. */
export function emptyDraft(): RequirementDraft {
  return {
    percentile: 'p95',
    latencyMs: '',
    throughputRps: '',
    maxBatchDelayMs: '0',
    cpuPerHour: assumedPrice('cpuPerHour'),
    gpuPerHour: assumedPrice('gpuPerHour'),
    electricityPerKwh: assumedPrice('electricityPerKwh'),
    gpuByName: '',
    machinePrices: {},
  };
}

/** The form filled from the requirement saved last time; prices it left out stay assumptions. */
export function draftFromRequirement(requirement: Requirement | null): RequirementDraft {
  if (!requirement) return emptyDraft();
  const prices = requirement.prices;
  return {
    percentile: requirement.latency?.percentile ?? 'p95',
    latencyMs: requirement.latency ? String(requirement.latency.ms) : '',
    throughputRps: requirement.throughputRps === null ? '' : String(requirement.throughputRps),
    maxBatchDelayMs: String(requirement.maxBatchDelayMs),
    cpuPerHour: givenPrice('cpuPerHour', prices.cpuPerHour),
    gpuPerHour: givenPrice('gpuPerHour', prices.gpuPerHour),
    electricityPerKwh: givenPrice('electricityPerKwh', prices.electricityPerKwh),
    gpuByName: Object.entries(prices.gpuByName)
      .map(([name, price]) => `${name}=${priceText(price)}`)
      .join(', '),
    machinePrices: Object.fromEntries(Object.entries(prices.byMachine ?? {}).map(([id, price]) => [id, priceText(price)])),
  };
}

/** A machine the ticked runs were measured on, which can have a price of its own. */
export interface PricedMachine {
  /** Its key in the requirement's prices: 'local' for this machine, a saved machine's id. */
  id: string;
  name: string;
}

/** The machines of these runs, this machine first; runs imported from elsewhere have none to price. */
export function pricedMachines(runs: readonly Pick<RunSummary, 'imported' | 'remote'>[]): PricedMachine[] {
  const machines = new Map<string, PricedMachine>();
  for (const run of runs) {
    if (run.remote) machines.set(run.remote.id, { id: run.remote.id, name: run.remote.name });
    else if (!run.imported) machines.set(LOCAL_MACHINE_ID, { id: LOCAL_MACHINE_ID, name: LOCAL_MACHINE_NAME });
  }
  return [...machines.values()].sort((a, b) => Number(b.id === LOCAL_MACHINE_ID) - Number(a.id === LOCAL_MACHINE_ID));
}

/** Why a machine's price as typed cannot be used; null when it can (empty: no price of its own). */
export function machinePriceError(text: string): string | null {
  if (text.trim() === '') return null;
  const value = parseNumber(text);
  return value === null || value <= 0 ? 'A price above 0, or empty for the CPU / GPU machine price' : null;
}

/** A number typed by a person: "50", " 0.5 ", "1e-3", "$1.20" all read; anything else is null. */
export function parseNumber(text: string): number | null {
  const cleaned = text.trim().replace(/^\$/, '');
  if (cleaned === '') return null;
  const value = Number(cleaned);
  return Number.isFinite(value) ? value : null;
}

export type GpuPricesParse = { ok: true; prices: Record<string, number> } | { ok: false; error: string };

/** "L4=0.80, H100 = 4.5" → {L4: 0.8, H100: 4.5}. */
export function parseGpuPrices(text: string): GpuPricesParse {
  const prices: Record<string, number> = {};
  for (const part of text.split(/[,;\n]/)) {
    if (part.trim() === '') continue;
    const match = /^\s*([^=:]+?)\s*[=:]\s*(\S+)\s*$/.exec(part);
    const price = match ? parseNumber(match[2] as string) : null;
    if (!match || price === null || price <= 0)
      return { ok: false, error: `Write each GPU as name=price per hour, e.g. L4=0.80 (not "${part.trim()}")` };
    prices[match[1] as string] = price;
  }
  return { ok: true, prices };
}

/** The requirement the verdict is asked for, or what to fix first. */
export function buildRequirement(draft: RequirementDraft): RequirementBuild {
  const errors: Partial<Record<RequirementField, string>> = {};
  const latencyMs = parseNumber(draft.latencyMs);
  const throughput = parseNumber(draft.throughputRps);
  const delay = draft.maxBatchDelayMs.trim() === '' ? 0 : parseNumber(draft.maxBatchDelayMs);

  if (draft.latencyMs.trim() !== '' && (latencyMs === null || latencyMs <= 0))
    errors.latencyMs = 'A latency target is a number of milliseconds above 0';
  if (draft.throughputRps.trim() !== '' && (throughput === null || throughput <= 0))
    errors.throughputRps = 'A throughput is a number of requests per second above 0';
  if (delay === null || delay < 0) errors.maxBatchDelayMs = 'A batching delay is a number of milliseconds, 0 or more';
  if (draft.latencyMs.trim() === '' && draft.throughputRps.trim() === '') errors.goal = 'State a latency target, a throughput, or both';

  const prices: { cpuPerHour?: number; gpuPerHour?: number; electricityPerKwh?: number } = {};
  for (const field of ['cpuPerHour', 'gpuPerHour', 'electricityPerKwh'] as const) {
    const price = draft[field];
    // Cleared by the person: back to the default, still reported as an assumption.
    if (price.assumed || price.text.trim() === '') continue;
    const value = parseNumber(price.text);
    const allowsZero = field === 'electricityPerKwh';
    if (value === null || value < 0 || (!allowsZero && value === 0)) {
      errors[field] = allowsZero ? 'A price of 0 or more' : 'A price above 0';
      continue;
    }
    prices[field] = value;
  }
  const gpuByName = parseGpuPrices(draft.gpuByName);
  if (!gpuByName.ok) errors.gpuByName = gpuByName.error;
  const byMachine: Record<string, number> = {};
  for (const [id, text] of Object.entries(draft.machinePrices ?? {})) {
    const error = machinePriceError(text);
    if (error) errors.machinePrices = error;
    else if (text.trim() !== '') byMachine[id] = parseNumber(text) as number;
  }

  if (Object.keys(errors).length > 0 || !gpuByName.ok) return { ok: false, errors };
  return {
    ok: true,
    requirement: {
      latency: latencyMs === null ? null : { percentile: draft.percentile, ms: latencyMs },
      throughputRps: throughput,
      maxBatchDelayMs: delay ?? 0,
      // Left out when none is given, so a requirement saved before machines existed reads back unchanged.
      prices: { ...prices, gpuByName: gpuByName.prices, ...(Object.keys(byMachine).length > 0 ? { byMachine } : {}) },
    },
  };
}
