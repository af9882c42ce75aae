/**
 * What a setup costs. One instance = one machine like the measured one running the setup;
 * instances add up linearly. A machine costs its price per hour whether it is busy or not,
 * so the cost per inference falls as the load per instance rises, down to the fully loaded
 * cost at capacity.
 */
import {
  DEFAULT_CPU_MACHINE_PER_HOUR,
  DEFAULT_ELECTRICITY_PER_KWH,
  DEFAULT_GPU_MACHINE_PER_HOUR,
  type DeviceClass,
  type Prices,
  type ResolvedPrices,
} from '../domain/advice';

const SECONDS_PER_HOUR = 3600;
const JOULES_PER_KWH = 3.6e6;

export function resolvePrices(prices: Partial<Prices> = {}): ResolvedPrices {
  const assumed: ResolvedPrices['assumed'] = [];
  if (prices.cpuPerHour === undefined) assumed.push('cpu');
  if (prices.gpuPerHour === undefined) assumed.push('gpu');
  if (prices.electricityPerKwh === undefined) assumed.push('electricity');
  return {
    cpuPerHour: prices.cpuPerHour ?? DEFAULT_CPU_MACHINE_PER_HOUR,
    gpuPerHour: prices.gpuPerHour ?? DEFAULT_GPU_MACHINE_PER_HOUR,
    gpuByName: prices.gpuByName ?? {},
    electricityPerKwh: prices.electricityPerKwh ?? DEFAULT_ELECTRICITY_PER_KWH,
    byMachine: prices.byMachine ?? {},
    assumed,
  };
}

export interface InstancePrice {
  perHour: number;
  /** "CPU machine", "GPU machine (NVIDIA L4)", "L4 GPU-hour". */
  label: string;
  assumed: boolean;
}

/** The machine a setup was measured on, for its own price: its key in `byMachine` and its name. */
export interface PricedMachine {
  id: string | null;
  name: string;
}

/** The price given for a machine, by its id or (as the CLI may name it) its name, case-insensitively. */
export function machinePrice(prices: ResolvedPrices, machine: PricedMachine): number | null {
  const byMachine = prices.byMachine ?? {};
  if (machine.id !== null && byMachine[machine.id] !== undefined) return byMachine[machine.id] as number;
  const wanted = [machine.id, machine.name].filter((k): k is string => k !== null).map((k) => k.toLowerCase());
  const match = Object.entries(byMachine).find(([key]) => wanted.includes(key.toLowerCase()));
  return match ? match[1] : null;
}

/**
 * What one instance of a setup costs per hour. A price given for the machine it was measured on wins (a machine like
 * that one, whatever provider runs there); else a GPU class price applies when its key appears in the GPU's name
 * ("L4" in "NVIDIA L4", the longest key winning); else the CPU or GPU machine price.
 */
export function instancePrice(
  prices: ResolvedPrices,
  deviceClass: DeviceClass,
  gpuName: string | null,
  machine: PricedMachine | null = null,
): InstancePrice {
  const own = machine ? machinePrice(prices, machine) : null;
  if (machine && own !== null) return { perHour: own, label: `price of ${machine.name}`, assumed: false };
  if (deviceClass === 'cpu') return { perHour: prices.cpuPerHour, label: 'CPU machine', assumed: prices.assumed.includes('cpu') };
  const name = (gpuName ?? '').toLowerCase();
  const match = Object.entries(prices.gpuByName)
    .filter(([key]) => name.includes(key.toLowerCase()))
    .sort((a, b) => b[0].length - a[0].length)[0];
  if (match) return { perHour: match[1], label: `${match[0]} GPU machine`, assumed: false };
  return {
    perHour: prices.gpuPerHour,
    label: gpuName ? `GPU machine (${gpuName})` : 'GPU machine',
    assumed: prices.assumed.includes('gpu'),
  };
}

/** Whole instances for a load: ceil(target / capacity), with slack for a capacity that is exactly a divisor. */
export function instancesFor(targetRps: number, capacityRps: number): number {
  if (!(capacityRps > 0)) throw new RangeError(`capacity must be positive, got ${capacityRps}`);
  return Math.max(1, Math.ceil(targetRps / capacityRps - 1e-9));
}

/** $ per million inferences for `instances` machines at `perHour` serving `rps` together. */
export function costPerMillion(perHour: number, instances: number, rps: number): number {
  return ((instances * perHour) / (rps * SECONDS_PER_HOUR)) * 1e6;
}

/** Energy of one inference from a device's average power at a throughput: W / (inferences/s) = J. */
export function energyPerInferenceJ(watts: number, inferencesPerSec: number): number {
  return watts / inferencesPerSec;
}

export function electricityPerMillion(joulesPerInference: number, pricePerKwh: number): number {
  return ((joulesPerInference * 1e6) / JOULES_PER_KWH) * pricePerKwh;
}

export interface BreakEvenInput {
  cpuThroughputRps: number;
  cpuPerHour: number;
  gpuPerHour: number;
  targetRps: number | null;
}

export interface BreakEvenNumbers {
  /** gpuPerHour / cpuPerHour. */
  speedup: number;
  requiredGpuThroughputRps: number;
  atTarget: {
    targetRps: number;
    cpuInstances: number;
    cpuCostPerHour: number;
    maxGpuInstances: number;
    requiredGpuThroughputRps: number | null;
    speedup: number | null;
  } | null;
}

/**
 * What a GPU must deliver to cost less per inference than the best CPU setup.
 *
 * Fully loaded: cost per million = price / (throughput · 3600) · 10⁶ on both, so
 * gpuPrice / (T_gpu · 3600) ≤ cpuPrice / (T_cpu · 3600) ⇔ T_gpu ≥ T_cpu · gpuPrice / cpuPrice.
 *
 * At a target load T, instances are whole: the CPU fleet is n = ⌈T / T_cpu⌉ machines. m GPU
 * machines are cheaper only while m · gpuPrice < n · cpuPrice, so at most
 * m = ⌈n · cpuPrice / gpuPrice⌉ − 1 of them, each serving T / m. With m = 0 no GPU, however
 * fast, costs less at this load.
 */
export function breakEven(input: BreakEvenInput): BreakEvenNumbers {
  const { cpuThroughputRps, cpuPerHour, gpuPerHour, targetRps } = input;
  const speedup = gpuPerHour / cpuPerHour;
  let atTarget: BreakEvenNumbers['atTarget'] = null;
  if (targetRps !== null) {
    const cpuInstances = instancesFor(targetRps, cpuThroughputRps);
    const cpuCostPerHour = cpuInstances * cpuPerHour;
    const maxGpuInstances = Math.max(0, Math.ceil(cpuCostPerHour / gpuPerHour - 1e-9) - 1);
    const required = maxGpuInstances > 0 ? targetRps / maxGpuInstances : null;
    atTarget = {
      targetRps,
      cpuInstances,
      cpuCostPerHour,
      maxGpuInstances,
      requiredGpuThroughputRps: required,
      speedup: required === null ? null : required / cpuThroughputRps,
    };
  }
  return { speedup, requiredGpuThroughputRps: cpuThroughputRps * speedup, atTarget };
}
