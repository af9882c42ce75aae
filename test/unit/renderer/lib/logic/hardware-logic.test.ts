import { describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../../../../../src/shared/domain/hardware';
import { mergeProviders, withLiveStatus } from '../../../../../src/renderer/lib/logic/providers';
import { describeAdapter } from '../../../../../src/renderer/lib/logic/webgpu-adapter';

const status = (name: string, state: ProviderStatus['status']): ProviderStatus => ({
  name,
  displayName: name.toUpperCase(),
  status: state,
  detail: '',
  probeMs: null,
});

describe('provider rows', () => {
  it('replaces detected rows with live ones in place and appends new providers', () => {
    const detected = [status('cpu', 'ready'), status('webgpu', 'failed'), status('cuda', 'not-installed')];
    const live = [status('webgpu', 'ready'), status('dml', 'no-device')];
    expect(mergeProviders(detected, live).map((row) => `${row.name}:${row.status}`)).toEqual([
      'cpu:ready',
      'webgpu:ready',
      'cuda:not-installed',
      'dml:no-device',
    ]);
  });

  it('keeps one live status per provider, the newest', () => {
    const live = withLiveStatus(withLiveStatus([], status('cpu', 'failed')), status('cpu', 'ready'));
    expect(live).toEqual([status('cpu', 'ready')]);
  });
});

describe('browser WebGPU adapter', () => {
  it('calls SwiftShader a software fallback, not a GPU', () => {
    const gpu = describeAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' });
    expect(gpu).toMatchObject({ status: 'adapter', software: true });
  });

  it('trusts the browser when it says the adapter is a fallback', () => {
    expect(describeAdapter({ vendor: 'x', isFallbackAdapter: true })).toMatchObject({ software: true });
    expect(describeAdapter({ vendor: 'x' }, true)).toMatchObject({ software: true });
  });

  it('reports a real GPU as one', () => {
    const gpu = describeAdapter({ vendor: 'nvidia', architecture: 'ada-lovelace', description: 'NVIDIA GeForce RTX 4090' });
    expect(gpu).toMatchObject({ software: false, softwareReason: null, vendor: 'nvidia' });
  });

  it('spots llvmpipe and WARP by name', () => {
    expect(describeAdapter({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toMatchObject({ software: true });
    expect(describeAdapter({ description: 'Microsoft Basic Render Driver' })).toMatchObject({ software: true });
  });
});
