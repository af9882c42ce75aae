import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import si from 'systeminformation';
import type { Systeminformation } from 'systeminformation';
import type { CpuCaches, CpuInfo } from '../../shared/domain/hardware';
import { estimatePeakGflopsFp32, inferenceFlags, isArm } from './cpu-isa';
import { runTool, withTimeout } from './exec';

export interface ProcCpuinfo {
  modelName: string | null;
  vendorId: string | null;
  /** x86 "flags" or ARM "Features" of the first processor, lower-case. */
  flags: string[];
  /** "cpu MHz" of the first processor: the current clock on bare metal, the TSC clock in most VMs. */
  cpuMhz: number | null;
  processors: number;
}

/** Reads the first processor's block of /proc/cpuinfo; all processors of one machine share their flags. */
export function parseProcCpuinfo(text: string): ProcCpuinfo {
  const first = new Map<string, string>();
  let processors = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') processors += 1;
    if (!first.has(key)) first.set(key, value);
  }
  const flagLine = first.get('flags') ?? first.get('features') ?? '';
  const mhz = Number.parseFloat(first.get('cpu mhz') ?? '');
  return {
    modelName: first.get('model name') ?? null,
    vendorId: first.get('vendor_id') ?? null,
    flags: splitFlags(flagLine),
    cpuMhz: Number.isFinite(mhz) && mhz > 0 ? mhz : null,
    processors,
  };
}

function splitFlags(text: string): string[] {
  return [...new Set(text.toLowerCase().split(/\s+/).filter(Boolean))];
}

/** "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz" → 2.5 */
export function ghzFromModelName(name: string | null): number | null {
  const match = /@\s*([\d.]+)\s*GHz/i.exec(name ?? '');
  const ghz = match ? Number.parseFloat(match[1] ?? '') : Number.NaN;
  return Number.isFinite(ghz) && ghz > 0 ? ghz : null;
}

/** Parses `sysctl name…` output ("key: value" lines) into a map. */
export function parseSysctl(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    values.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return values;
}

/**
 * macOS reports features two ways: Apple silicon as `hw.optional.arm.FEAT_DotProd: 1` switches,
 * Intel Macs as space-separated lists in machdep.cpu.*features. Both become lower-case names.
 */
export function macCpuFlags(sysctl: Map<string, string>): string[] {
  const flags: string[] = [];
  for (const [key, value] of sysctl) {
    if (key.startsWith('hw.optional.') && value === '1') {
      flags.push(
        key
          .slice('hw.optional.'.length)
          .replace(/^arm\./, '')
          .toLowerCase(),
      );
    } else if (/^machdep\.cpu\.(features|leaf7_features|extfeatures)$/.test(key)) {
      flags.push(...splitFlags(value));
    }
  }
  return [...new Set(flags)];
}

/** "48K" / "2048K" / "32M" (sysfs cache sizes) → bytes */
export function parseCacheSize(text: string): number | null {
  const match = /^(\d+)\s*([KMG]?)/i.exec(text.trim());
  if (!match) return null;
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(match[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(match[1]) * unit;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function readNumber(file: string): Promise<number | null> {
  const value = Number.parseFloat((await readText(file)) ?? '');
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** Linux describes each cache one core sees under cpu0/cache/indexN. */
async function linuxCaches(): Promise<CpuCaches | null> {
  const root = '/sys/devices/system/cpu/cpu0/cache';
  let entries: string[];
  try {
    entries = (await readdir(root)).filter((name) => name.startsWith('index'));
  } catch {
    return null;
  }
  const caches: CpuCaches = { l1d: null, l1i: null, l2: null, l3: null };
  for (const entry of entries) {
    const [level, type, size] = await Promise.all(['level', 'type', 'size'].map((file) => readText(path.join(root, entry, file))));
    const bytes = parseCacheSize(size ?? '');
    const kind = (type ?? '').trim();
    switch ((level ?? '').trim()) {
      case '1':
        if (kind === 'Data') caches.l1d = bytes;
        else if (kind === 'Instruction') caches.l1i = bytes;
        break;
      case '2':
        caches.l2 = bytes;
        break;
      case '3':
        caches.l3 = bytes;
        break;
    }
  }
  return caches;
}

interface OsCpuFacts {
  flags: string[];
  modelName: string | null;
  baseGhz: number | null;
  maxGhz: number | null;
  /** Last resort for the base clock: /proc/cpuinfo's "cpu MHz" (the nominal TSC clock in VMs). */
  reportedGhz: number | null;
  sveVectorBits: number | null;
  caches: CpuCaches | null;
}

async function linuxCpuFacts(notes: string[]): Promise<OsCpuFacts> {
  const cpuinfoText = await readText('/proc/cpuinfo');
  if (cpuinfoText === null) notes.push('CPU: /proc/cpuinfo could not be read; CPU flags come from systeminformation');
  const cpuinfo = parseProcCpuinfo(cpuinfoText ?? '');
  const cpufreq = '/sys/devices/system/cpu/cpu0/cpufreq';
  const [baseKhz, maxKhz, sveBytes, caches] = await Promise.all([
    readNumber(path.join(cpufreq, 'base_frequency')),
    readNumber(path.join(cpufreq, 'cpuinfo_max_freq')),
    readNumber('/proc/sys/abi/sve_default_vector_length'),
    linuxCaches(),
  ]);
  return {
    flags: cpuinfo.flags,
    modelName: cpuinfo.modelName,
    baseGhz: (baseKhz !== null ? baseKhz / 1e6 : null) ?? ghzFromModelName(cpuinfo.modelName),
    maxGhz: maxKhz !== null ? maxKhz / 1e6 : null,
    reportedGhz: cpuinfo.cpuMhz !== null ? cpuinfo.cpuMhz / 1000 : null,
    sveVectorBits: sveBytes !== null ? sveBytes * 8 : null,
    caches,
  };
}

async function macCpuFacts(arch: string, timeoutMs: number, notes: string[]): Promise<OsCpuFacts> {
  const keys = isArm(arch) ? ['hw.optional'] : ['machdep.cpu.features', 'machdep.cpu.leaf7_features', 'machdep.cpu.extfeatures'];
  const result = await runTool('sysctl', keys, timeoutMs);
  // sysctl exits non-zero when one of several names is unknown but still prints the others.
  if (!result.ok && result.stdout === '') notes.push(`CPU flags: ${result.message}`);
  return {
    flags: macCpuFlags(parseSysctl(result.stdout)),
    modelName: null,
    baseGhz: null,
    maxGhz: null,
    reportedGhz: null,
    sveVectorBits: null,
    caches: null,
  };
}

function positiveOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : null;
}

function cachesFromSi(cache: Systeminformation.CpuCacheData | undefined): CpuCaches {
  return {
    l1d: positiveOrNull(cache?.l1d),
    l1i: positiveOrNull(cache?.l1i),
    l2: positiveOrNull(cache?.l2),
    l3: positiveOrNull(cache?.l3),
  };
}

/** systeminformation gives CPUID family and model as decimal strings ("25", "97"); null when absent or not a number. */
function cpuidNumber(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export async function detectCpu(notes: string[], timeoutMs: number): Promise<CpuInfo> {
  const arch = process.arch;
  const siCpu = await withTimeout(() => si.cpu(), timeoutMs, 'systeminformation cpu()');
  if (!siCpu.ok) notes.push(`CPU: ${siCpu.message}; using Node's os.cpus()`);
  const cpu = siCpu.ok ? siCpu.value : undefined;

  let facts: OsCpuFacts;
  if (process.platform === 'linux') facts = await linuxCpuFacts(notes);
  else if (process.platform === 'darwin') facts = await macCpuFacts(arch, timeoutMs, notes);
  else facts = { flags: [], modelName: null, baseGhz: null, maxGhz: null, reportedGhz: null, sveVectorBits: null, caches: null };

  let flags = facts.flags;
  if (flags.length === 0) {
    const siFlags = await withTimeout(() => si.cpuFlags(), timeoutMs, 'systeminformation cpuFlags()');
    flags = siFlags.ok ? splitFlags(siFlags.value) : [];
    if (!siFlags.ok) notes.push(`CPU flags: ${siFlags.message}`);
    if (process.platform === 'win32') {
      notes.push('CPU flags: Windows reports only baseline CPUID flags here, so AVX2/AVX-512/VNNI show as absent even when present');
    }
  }

  const nodeCpus = os.cpus();
  const nodeMhz = positiveOrNull(nodeCpus[0]?.speed);
  const brand = cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : (facts.modelName ?? nodeCpus[0]?.model ?? 'unknown CPU');
  const baseGhz = facts.baseGhz ?? positiveOrNull(cpu?.speed) ?? facts.reportedGhz ?? (nodeMhz !== null ? nodeMhz / 1000 : null);
  const maxGhz = facts.maxGhz ?? positiveOrNull(cpu?.speedMax);
  const physicalCores = positiveOrNull(cpu?.physicalCores) ?? nodeCpus.length;
  const logicalCores = positiveOrNull(cpu?.cores) ?? nodeCpus.length;
  if (baseGhz === null && maxGhz === null) notes.push('CPU: clock speed unknown, so no peak GFLOP/s estimate');

  const id = { vendor: cpu?.vendor || cpu?.manufacturer || null, family: cpuidNumber(cpu?.family), model: cpuidNumber(cpu?.model), brand };
  const peak = estimatePeakGflopsFp32({ arch, flags, physicalCores, baseGhz, maxGhz, sveVectorBits: facts.sveVectorBits, id });
  return {
    brand,
    vendor: cpu?.manufacturer || cpu?.vendor || 'unknown',
    arch,
    physicalCores,
    logicalCores,
    baseGhz,
    maxGhz,
    caches: facts.caches ?? cachesFromSi(cpu?.cache),
    flags,
    inferenceFlags: inferenceFlags(arch, flags),
    peakGflopsFp32: peak.gflops,
    peakGflopsFormula: peak.formula,
  };
}
