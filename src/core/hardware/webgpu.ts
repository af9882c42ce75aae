import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { GpuVendor, WebgpuEnvironment } from '../../shared/domain/hardware';
import { sysfsDisplayVendorsSync } from './gpu/pci';

/** Debian's chromium package ships SwiftShader, a Vulkan implementation that runs on the CPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** Where the Vulkan loader looks for installed drivers (ICD manifests). */
export const VULKAN_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];

type IcdKind = GpuVendor | 'software';

/** Which hardware a Vulkan ICD manifest drives, judged by its file name (mesa and vendor conventions). */
export function icdKind(fileName: string): IcdKind {
  const name = path.basename(fileName).toLowerCase();
  if (/swiftshader|lvp|lavapipe|llvmpipe/.test(name)) return 'software';
  if (name.includes('nvidia')) return 'nvidia';
  if (/radeon|amd/.test(name)) return 'amd';
  if (name.includes('intel')) return 'intel';
  return 'other';
}

export function listVulkanIcds(dirs: readonly string[] = VULKAN_ICD_DIRS): string[] {
  const icds: string[] = [];
  for (const dir of dirs) {
    try {
      for (const entry of readdirSync(dir)) if (entry.endsWith('.json')) icds.push(path.join(dir, entry));
    } catch {
      // A missing directory just means no driver installed there.
    }
  }
  return icds;
}

export interface WebgpuAssessment {
  environment: WebgpuEnvironment;
  /** Whether an adapter (hardware or software) should exist at all. */
  available: boolean;
  adapter?: string;
}

export interface WebgpuOptions {
  /** Vendors of the GPUs in the machine; read from the PCI bus when not given. */
  gpuVendors?: readonly GpuVendor[];
  icdDirs?: readonly string[];
  swiftshaderIcd?: string;
  env?: NodeJS.ProcessEnv;
}

const SOFTWARE_NOTE =
  'a software Vulkan driver running on the CPU: results are correct but ~100-200x slower than the CPU EP. ' +
  'Report it as a software fallback, not a GPU.';

/** What WebGPU will run on, and the environment the inference worker needs for it. */
export function assessWebgpu(options: WebgpuOptions = {}): WebgpuAssessment {
  if (process.platform === 'win32') {
    return { available: true, environment: { env: {}, software: false, note: 'WebGPU uses Direct3D 12 on Windows' } };
  }
  if (process.platform === 'darwin') {
    return { available: true, environment: { env: {}, software: false, note: 'WebGPU uses Metal on macOS' } };
  }
  const env = options.env ?? process.env;
  const chosen = env['VK_ICD_FILENAMES'] ?? env['VK_DRIVER_FILES'];
  if (chosen) {
    const files = chosen.split(path.delimiter).filter(Boolean);
    const software = files.length > 0 && files.every((file) => icdKind(file) === 'software');
    return {
      available: true,
      environment: { env: {}, software, note: `Vulkan driver chosen by the environment: ${chosen}${software ? `; ${SOFTWARE_NOTE}` : ''}` },
      adapter: software ? `software Vulkan (${path.basename(files[0] ?? chosen)})` : path.basename(files[0] ?? chosen),
    };
  }

  const vendors = new Set(options.gpuVendors ?? sysfsDisplayVendorsSync());
  const icds = listVulkanIcds(options.icdDirs ?? VULKAN_ICD_DIRS);
  // mesa installs ICDs for every vendor it supports; one only counts when that vendor's GPU is present.
  const hardware = icds.find((icd) => {
    const kind = icdKind(icd);
    return kind !== 'software' && kind !== 'other' && vendors.has(kind);
  });
  if (hardware) {
    return {
      available: true,
      environment: { env: {}, software: false, note: `GPU with a Vulkan driver: ${hardware}` },
      adapter: `${icdKind(hardware)} GPU (Vulkan)`,
    };
  }
  const swiftshader = options.swiftshaderIcd ?? SWIFTSHADER_ICD;
  if (existsSync(swiftshader)) {
    return {
      available: true,
      environment: {
        env: { VK_ICD_FILENAMES: swiftshader },
        software: true,
        note: `No GPU with a Vulkan driver; WebGPU runs on SwiftShader (${swiftshader}), ${SOFTWARE_NOTE}`,
      },
      adapter: 'SwiftShader (software Vulkan)',
    };
  }
  const softwareIcd = icds.find((icd) => icdKind(icd) === 'software');
  if (softwareIcd) {
    return {
      available: true,
      environment: { env: {}, software: true, note: `No GPU with a Vulkan driver; only ${softwareIcd}, ${SOFTWARE_NOTE}` },
      adapter: `software Vulkan (${path.basename(softwareIcd)})`,
    };
  }
  return {
    available: false,
    environment: {
      env: {},
      software: false,
      note:
        'No Vulkan driver for a GPU and no software Vulkan: WebGPU has no adapter. Install the GPU vendor driver, or ' +
        "Debian's chromium for SwiftShader.",
    },
  };
}

/**
 * The environment to set on the inference worker for the WebGPU EP. On Linux without a GPU that
 * has a Vulkan driver, this points Vulkan at SwiftShader and says so (`software: true`).
 */
export function webgpuEnvironment(options: WebgpuOptions = {}): WebgpuEnvironment {
  return assessWebgpu(options).environment;
}
