import type { Gpu, GpuVendor } from '../../../shared/domain/hardware';

/** One way of finding GPUs (a vendor tool, the PCI bus, the OS's hardware report). */
export interface GpuSource {
  name: string;
  detect(): Promise<Gpu[]>;
}

export interface GpuDetectContext {
  timeoutMs: number;
  /** For tools that are slow by nature (nvidia-smi initialising GPUs, system_profiler). */
  slowTimeoutMs: number;
  notes: string[];
  /** Every display/3D controller the OS lists, all vendors; computed once per detection. */
  displayControllers(): Promise<Gpu[]>;
  /** Set when nvidia-smi hung: other libraries that call it synchronously must then be skipped. */
  nvidiaSmiHung: boolean;
}

const PCI_VENDORS: Record<string, GpuVendor> = {
  '10de': 'nvidia',
  '1002': 'amd',
  '1022': 'amd',
  '8086': 'intel',
  '106b': 'apple',
};

export function vendorFromPciId(vendorId: string): GpuVendor {
  return PCI_VENDORS[vendorId.toLowerCase().replace(/^0x/, '')] ?? 'other';
}

export function vendorFromText(text: string): GpuVendor {
  if (/nvidia/i.test(text)) return 'nvidia';
  if (/\bamd\b|advanced micro devices|\bati\b|radeon/i.test(text)) return 'amd';
  if (/intel/i.test(text)) return 'intel';
  if (/apple/i.test(text)) return 'apple';
  return 'other';
}

export const VENDOR_LABEL: Record<GpuVendor, string> = {
  nvidia: 'NVIDIA',
  amd: 'AMD',
  intel: 'Intel',
  apple: 'Apple',
  other: 'Other',
};

/**
 * PCI addresses come as "00000000:18:00.0" (nvidia-smi), "0000:18:00.0" (sysfs, lspci -D) or
 * "18:00.0" (lspci): one form, "0000:18:00.0", makes the same card comparable across tools.
 */
export function normalizeBusId(text: string | null | undefined): string | undefined {
  const match = /^(?:([0-9a-f]+):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec((text ?? '').trim());
  if (!match) return undefined;
  const domain = (match[1] ?? '0').slice(-4).padStart(4, '0');
  const bus = (match[2] ?? '').padStart(2, '0');
  const device = (match[3] ?? '').padStart(2, '0');
  return `${domain}:${bus}:${device}.${match[4]}`.toLowerCase();
}

/** Null for the placeholders vendor tools print instead of a value: "[N/A]", "N/A", "[Not Supported]", "". */
export function valueOrNull(text: string | undefined): string | null {
  const value = (text ?? '').trim();
  if (value === '' || /^\[.*\]$/.test(value) || /^n\/a$/i.test(value)) return null;
  return value;
}

export function numberOrNull(text: string | undefined): number | null {
  const value = valueOrNull(text);
  if (value === null) return null;
  const number = Number.parseFloat(value);
  return Number.isFinite(number) ? number : null;
}
