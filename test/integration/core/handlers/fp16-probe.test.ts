import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../../../src/core/services';
import type { HardwareProfile } from '../../../../src/shared/domain/hardware';
import { scratchServices, type ScratchServices } from '../../../support/services';

let scratch: ScratchServices;
let services: Services;
const context = { emit: () => undefined };

beforeAll(() => {
  scratch = scratchServices('fp16-probe');
  ({ services } = scratch);
});

afterAll(() => scratch?.dispose());

describe('the WebGPU probe also tries a float16 session', () => {
  it('records whether float16 runs on the adapter (SwiftShader has no shader-f16: false, with the reason)', async () => {
    const profile = (await services.handlers['hardware.detect']({ refresh: true }, context as never)) as HardwareProfile;
    const webgpu = profile.providers.find((p) => p.name === 'webgpu');
    // Without a WebGPU adapter here there is nothing to ask.
    if (!webgpu || webgpu.status !== 'ready') return;
    expect(typeof webgpu.fp16).toBe('boolean');
    if (webgpu.adapter?.includes('SwiftShader')) {
      expect(webgpu.fp16).toBe(false);
      expect(webgpu.detail).toMatch(/no float16 on this adapter \(shader-f16\)/);
    }
    // The CPU provider is never asked: its float16 goes through casts, and always runs.
    expect(profile.providers.find((p) => p.name === 'cpu')?.fp16).toBeUndefined();
  }, 60_000);
});
