import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Gpu, GpuVendor } from '../../../shared/domain/hardware';
import { runTool } from '../exec';
import { normalizeBusId, VENDOR_LABEL, vendorFromPciId } from './source';

export const PCI_DEVICES_DIR = '/sys/bus/pci/devices';

/** A display-class PCI function (class 03xx: VGA, 3D or other display controller). */
export interface PciDisplayDevice {
  busId: string;
  vendor: GpuVendor;
  vendorId: string;
  deviceId: string;
  /** Names from pci.ids (lspci); null when only numeric ids are known (sysfs). */
  vendorName: string | null;
  deviceName: string | null;
}

/** `"NVIDIA Corporation [10de]"` → { name: 'NVIDIA Corporation', id: '10de' } */
function splitNameAndId(field: string): { name: string; id: string | null } {
  const match = /^(.*?)\s*\[([0-9a-f]{4})\]$/i.exec(field.trim());
  return match ? { name: match[1] ?? '', id: (match[2] ?? '').toLowerCase() } : { name: field.trim(), id: null };
}

/** Parses `lspci -D -mm -nn`, keeping display controllers only. */
export function parseLspci(text: string): PciDisplayDevice[] {
  const devices: PciDisplayDevice[] = [];
  for (const line of text.split('\n')) {
    const slot = /^(\S+)\s/.exec(line)?.[1];
    const quoted = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
    if (!slot || quoted.length < 3) continue;
    const cls = splitNameAndId(quoted[0] ?? '');
    if (!cls.id?.startsWith('03')) continue;
    const vendor = splitNameAndId(quoted[1] ?? '');
    const device = splitNameAndId(quoted[2] ?? '');
    const busId = normalizeBusId(slot);
    if (!busId || !vendor.id || !device.id) continue;
    devices.push({
      busId,
      vendor: vendorFromPciId(vendor.id),
      vendorId: vendor.id,
      deviceId: device.id,
      vendorName: vendor.name,
      deviceName: device.name,
    });
  }
  return devices;
}

/**
 * "GH100 [H200 SXM 141GB]" is a codename plus the marketing name; people know the card by the
 * latter, so "NVIDIA H200 SXM 141GB".
 */
export function pciDisplayName(device: PciDisplayDevice): string {
  const label = device.vendor === 'other' ? (device.vendorName ?? `PCI vendor ${device.vendorId}`) : VENDOR_LABEL[device.vendor];
  // lspci prints a bare "Device" when its pci.ids list predates the card.
  if (device.deviceName === null || device.deviceName === 'Device') return `${label} PCI device ${device.vendorId}:${device.deviceId}`;
  const marketing = /\[([^\]]+)\]\s*$/.exec(device.deviceName)?.[1];
  const model = marketing ?? device.deviceName;
  const firstWord = label.split(/[\s,]/)[0] ?? label;
  return model.toLowerCase().startsWith(firstWord.toLowerCase()) ? model : `${label} ${model}`;
}

function hexId(text: string | null): string | null {
  const match = /^0x([0-9a-f]+)/i.exec((text ?? '').trim());
  return match ? (match[1] ?? '').toLowerCase().padStart(4, '0') : null;
}

/** Display controllers from sysfs: numeric ids only, but needs no tool at all. */
export async function readSysfsDisplayDevices(root = PCI_DEVICES_DIR): Promise<PciDisplayDevice[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }
  const read = (entry: string, file: string): Promise<string | null> => readFile(path.join(root, entry, file), 'utf8').catch(() => null);
  const devices = await Promise.all(
    entries.map(async (entry): Promise<PciDisplayDevice | null> => {
      const [cls, vendorId, deviceId] = await Promise.all([read(entry, 'class'), read(entry, 'vendor'), read(entry, 'device')]);
      const busId = normalizeBusId(entry);
      const vendor = hexId(vendorId);
      const device = hexId(deviceId);
      if (!busId || !vendor || !device || !/^0x03/i.test((cls ?? '').trim())) return null;
      return { busId, vendor: vendorFromPciId(vendor), vendorId: vendor, deviceId: device, vendorName: null, deviceName: null };
    }),
  );
  return devices.filter((device): device is PciDisplayDevice => device !== null).sort((a, b) => a.busId.localeCompare(b.busId));
}

/** Vendors of the display controllers on the PCI bus, read synchronously (for webgpuEnvironment). */
export function sysfsDisplayVendorsSync(root = PCI_DEVICES_DIR): GpuVendor[] {
  const vendors = new Set<GpuVendor>();
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  for (const entry of entries) {
    try {
      const cls = readFileSync(path.join(root, entry, 'class'), 'utf8');
      if (!/^0x03/i.test(cls.trim())) continue;
      const vendor = hexId(readFileSync(path.join(root, entry, 'vendor'), 'utf8'));
      if (vendor) vendors.add(vendorFromPciId(vendor));
    } catch {
      // A device that vanished or is unreadable is not a GPU we can use.
    }
  }
  return [...vendors];
}

/** The kernel driver bound to a device ("nvidia", "amdgpu", "i915", "nouveau"), or null when none is. */
async function boundDriver(root: string, busId: string): Promise<string | null> {
  try {
    return path.basename(await readlink(path.join(root, busId, 'driver')));
  } catch {
    return null;
  }
}

/** amdgpu publishes the real VRAM size; lspci only knows BAR sizes, which are not VRAM. */
async function amdVramBytes(root: string, busId: string): Promise<number | null> {
  try {
    const bytes = Number.parseInt(await readFile(path.join(root, busId, 'mem_info_vram_total'), 'utf8'), 10);
    return Number.isFinite(bytes) && bytes > 0 ? bytes : null;
  } catch {
    return null;
  }
}

/** Display controllers on Linux: lspci for names, sysfs when lspci is missing, sysfs for drivers and AMD VRAM. */
export async function linuxDisplayControllers(timeoutMs: number, notes: string[], root = PCI_DEVICES_DIR): Promise<Gpu[]> {
  const lspci = await runTool('lspci', ['-D', '-mm', '-nn'], timeoutMs);
  let devices: PciDisplayDevice[];
  let source: Gpu['source'];
  if (lspci.ok) {
    devices = parseLspci(lspci.stdout);
    source = 'lspci';
  } else {
    devices = await readSysfsDisplayDevices(root);
    source = 'sysfs';
    const why = lspci.reason === 'missing' ? 'lspci not found (install pciutils for GPU names)' : lspci.message;
    notes.push(`GPU: ${why}; ${devices.length} display controller(s) read from ${root} by PCI id`);
  }
  return Promise.all(
    devices.map(async (device): Promise<Gpu> => ({
      vendor: device.vendor,
      name: pciDisplayName(device),
      vramBytes: device.vendor === 'amd' ? await amdVramBytes(root, device.busId) : null,
      driver: await boundDriver(root, device.busId),
      cudaVersion: null,
      computeCapability: null,
      source,
      busId: device.busId,
    })),
  );
}
