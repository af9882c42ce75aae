/** What this window's own WebGPU adapter is, as far as the browser tells us. */
export type BrowserGpu =
  | { status: 'unavailable'; reason: string }
  | {
      status: 'adapter';
      vendor: string;
      architecture: string;
      description: string;
      device: string;
      /** A CPU rasterizer (SwiftShader, llvmpipe, WARP…) posing as a GPU. */
      software: boolean;
      softwareReason: string | null;
    };

/** Renderers that implement a GPU API on the CPU: useful for testing, never a reason to deploy on "GPU". */
const SOFTWARE_RENDERERS = [/swiftshader/i, /llvmpipe/i, /lavapipe/i, /softpipe/i, /\bwarp\b/i, /microsoft basic render/i];

export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}

export function describeAdapter(info: AdapterInfoLike, adapterIsFallback = false): BrowserGpu {
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const description = info.description ?? '';
  const device = info.device ?? '';
  const text = [vendor, architecture, description, device].join(' ');
  const named = SOFTWARE_RENDERERS.find((pattern) => pattern.test(text));
  const fallback = info.isFallbackAdapter === true || adapterIsFallback;
  const softwareReason = fallback
    ? 'The browser reports a fallback adapter'
    : named
      ? `${text.match(named)?.[0] ?? 'A CPU renderer'} renders on the CPU`
      : null;
  return { status: 'adapter', vendor, architecture, description, device, software: softwareReason !== null, softwareReason };
}
