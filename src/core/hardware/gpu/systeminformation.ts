import si from 'systeminformation';
import type { Systeminformation } from 'systeminformation';
import type { Gpu } from '../../../shared/domain/hardware';
import { withTimeout } from '../exec';
import { normalizeBusId, vendorFromPciId, vendorFromText } from './source';

function vendorOf(controller: Systeminformation.GraphicsControllerData): Gpu['vendor'] {
  // Windows gives "PCI\VEN_10DE&DEV_2206…"; the id is more reliable than the free-text vendor.
  const pciVendor = /VEN_([0-9a-f]{4})/i.exec(controller.pciID ?? '')?.[1] ?? controller.vendorId;
  const byId = pciVendor ? vendorFromPciId(pciVendor) : 'other';
  return byId !== 'other' ? byId : vendorFromText(`${controller.vendor} ${controller.model}`);
}

export function gpusFromSiControllers(controllers: readonly Systeminformation.GraphicsControllerData[]): Gpu[] {
  return controllers.map((controller) => {
    // Integrated GPUs report a "dynamic" share of system memory, not VRAM of their own.
    const vramMb = !controller.vramDynamic && controller.vram !== null && controller.vram > 0 ? controller.vram : null;
    const busId = normalizeBusId(controller.pciBus ?? controller.busAddress);
    const gpu: Gpu = {
      vendor: vendorOf(controller),
      name: (controller.model || controller.name || controller.vendor || 'unknown display adapter').trim(),
      vramBytes: vramMb !== null ? Math.round(vramMb * 1024 * 1024) : null,
      driver: controller.driverVersion || null,
      cudaVersion: null,
      computeCapability: null,
      source: 'systeminformation',
    };
    if (busId) gpu.busId = busId;
    return gpu;
  });
}

/** The OS's own list of display adapters (WMI on Windows) through systeminformation. */
export async function siDisplayControllers(timeoutMs: number, notes: string[]): Promise<Gpu[]> {
  const graphics = await withTimeout(() => si.graphics(), timeoutMs, 'systeminformation graphics()');
  if (!graphics.ok) {
    notes.push(`GPU: ${graphics.message}`);
    return [];
  }
  return gpusFromSiControllers(graphics.value.controllers);
}
