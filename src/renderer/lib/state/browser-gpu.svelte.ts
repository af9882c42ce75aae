import { describeAdapter, type BrowserGpu } from '../logic/webgpu-adapter';

/**
 * The WebGPU adapter of the page itself. In the browser host this is the viewer's browser, not
 * the machine that runs the models, which the view says plainly.
 */
export class BrowserGpuController {
  gpu = $state.raw<BrowserGpu | null>(null);

  async detect() {
    const gpuApi = (navigator as Partial<Navigator>).gpu;
    if (!gpuApi) {
      this.gpu = { status: 'unavailable', reason: 'WebGPU not available in this browser' };
      return;
    }
    try {
      const adapter = await gpuApi.requestAdapter();
      if (!adapter) {
        this.gpu = { status: 'unavailable', reason: 'WebGPU is present but the browser offered no adapter' };
        return;
      }
      // Older Chromium exposed isFallbackAdapter on the adapter rather than on adapter.info.
      const legacyFallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
      this.gpu = describeAdapter(adapter.info, legacyFallback);
    } catch (error) {
      this.gpu = {
        status: 'unavailable',
        reason: `Asking for a WebGPU adapter failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
}
