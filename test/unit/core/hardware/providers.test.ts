import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProviderAssessmentSchema, ProviderStatusSchema, type Gpu } from '../../../../src/shared/domain/hardware';
import { nvidiaGpusFromCsv } from '../../../../src/core/hardware/gpu/nvidia';
import {
  assessProviders,
  INSTALL_GPU_PROVIDERS_COMMAND,
  listOrtBackends,
  mergeProviderProbes,
  ortBinFolder,
  providerLibraryFile,
  staticProviderStatuses,
} from '../../../../src/core/hardware/providers';
import type { WebgpuAssessment } from '../../../../src/core/hardware/webgpu';
import { fixture } from './fixtures';

const LINUX_BACKENDS = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false },
];

const SOFTWARE_WEBGPU: WebgpuAssessment = {
  available: true,
  environment: { env: { VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' }, software: true, note: 'SwiftShader' },
  adapter: 'SwiftShader (software Vulkan)',
};

const h200s = nvidiaGpusFromCsv(fixture('nvidia-smi-query-2gpu.csv'), '12.4');
const h200OnBusOnly: Gpu = {
  ...h200s[0]!,
  source: 'lspci',
  driver: null,
  cudaVersion: null,
  computeCapability: null,
  name: 'NVIDIA H200 SXM 141GB',
};

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('provider pre-assessment on Linux x64', () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'inferscope-ortbin-'));
  const installed = mkdtempSync(path.join(os.tmpdir(), 'inferscope-ortbin-'));
  for (const lib of ['cuda', 'tensorrt', 'shared']) writeFileSync(path.join(installed, providerLibraryFile(lib)), '');
  afterAll(() => {
    rmSync(empty, { recursive: true, force: true });
    rmSync(installed, { recursive: true, force: true });
  });
  const byName = (list: ReturnType<typeof assessProviders>) => Object.fromEntries(list.map((a) => [a.name, a]));

  it('CUDA/TensorRT without their libraries are not installed, with the install command', () => {
    const result = byName(assessProviders({ backends: LINUX_BACKENDS, gpus: h200s, binFolder: empty, webgpu: SOFTWARE_WEBGPU }));
    for (const a of Object.values(result)) ProviderAssessmentSchema.parse(a);
    expect(result['cpu']).toMatchObject({ status: 'candidate', bundled: true });
    expect(result['cuda']).toMatchObject({ status: 'not-installed', installHint: INSTALL_GPU_PROVIDERS_COMMAND, bundled: false });
    expect(result['cuda']!.detail).toContain('libonnxruntime_providers_cuda.so');
    expect(result['tensorrt']).toMatchObject({ status: 'not-installed', installHint: INSTALL_GPU_PROVIDERS_COMMAND });
    expect(result['webgpu']).toMatchObject({ status: 'candidate', software: true, adapter: 'SwiftShader (software Vulkan)' });
  });

  it('installed but no NVIDIA GPU → no-device; NVIDIA without a working driver → no-device naming the card', () => {
    const none = byName(assessProviders({ backends: LINUX_BACKENDS, gpus: [], binFolder: installed, webgpu: SOFTWARE_WEBGPU }));
    expect(none['cuda']).toMatchObject({ status: 'no-device' });
    expect(none['cuda']!.installHint).toBeUndefined();
    const noDriver = byName(
      assessProviders({ backends: LINUX_BACKENDS, gpus: [h200OnBusOnly], binFolder: installed, webgpu: SOFTWARE_WEBGPU }),
    );
    expect(noDriver['tensorrt']).toMatchObject({ status: 'no-device' });
    expect(noDriver['tensorrt']!.detail).toContain('NVIDIA H200 SXM 141GB');
  });

  it('installed with NVIDIA GPUs → candidate, saying what the probe will need', () => {
    const result = byName(assessProviders({ backends: LINUX_BACKENDS, gpus: h200s, binFolder: installed, webgpu: SOFTWARE_WEBGPU }));
    expect(result['cuda']).toMatchObject({ status: 'candidate', adapter: 'NVIDIA H200' });
    expect(result['cuda']!.detail).toMatch(/2 NVIDIA GPU\(s\).*CUDA 12\.4.*cuDNN 9/);
    expect(result['tensorrt']!.detail).toMatch(/TensorRT 10/);
  });

  it('WebGPU with no adapter at all is no-device', () => {
    const result = byName(
      assessProviders({
        backends: LINUX_BACKENDS,
        gpus: [],
        binFolder: empty,
        webgpu: { available: false, environment: { env: {}, software: false, note: 'no Vulkan' } },
      }),
    );
    expect(result['webgpu']).toMatchObject({ status: 'no-device', detail: 'no Vulkan' });
  });

  it('finds onnxruntime-node’s real bin folder and backend list', async () => {
    const folder = ortBinFolder();
    expect(folder).toMatch(/onnxruntime-node[\\/]bin[\\/]napi-v6[\\/]linux[\\/]x64$/);
    expect(await listOrtBackends()).toEqual(
      expect.arrayContaining([
        { name: 'cpu', bundled: true },
        { name: 'cuda', bundled: false },
      ]),
    );
  });
});

describe('merging probe results', () => {
  const assessments = assessProviders({ backends: LINUX_BACKENDS, gpus: [], binFolder: null, webgpu: SOFTWARE_WEBGPU });

  it('keeps static outcomes and settles candidates by their probe', () => {
    const statuses = mergeProviderProbes(assessments, [
      { name: 'cpu', ok: true, detail: 'ran 1 node', probeMs: 12 },
      { name: 'webgpu', ok: true, detail: 'ran on SwiftShader', probeMs: 850, adapter: 'Google SwiftShader', software: true },
    ]);
    for (const status of statuses) ProviderStatusSchema.parse(status);
    expect(statuses.map((s) => [s.name, s.status, s.probeMs])).toEqual([
      ['cpu', 'ready', 12],
      ['webgpu', 'ready', 850],
      ['cuda', 'not-installed', null],
      ['tensorrt', 'not-installed', null],
    ]);
    expect(statuses[1]).toMatchObject({ software: true, adapter: 'Google SwiftShader' });
  });

  it('keeps what the float16 probe found, and says nothing where it was not tried', () => {
    const statuses = mergeProviderProbes(assessments, [
      { name: 'cpu', ok: true, detail: 'ran 1 node', probeMs: 12 },
      { name: 'webgpu', ok: true, detail: 'ran on SwiftShader', probeMs: 850, software: true, fp16: false },
    ]);
    expect(statuses.find((s) => s.name === 'webgpu')?.fp16).toBe(false);
    expect(statuses.find((s) => s.name === 'cpu')?.fp16).toBeUndefined();
  });

  it('a failed probe is failed, a missing probe too (never silently ready)', () => {
    const statuses = mergeProviderProbes(assessments, [{ name: 'webgpu', ok: false, detail: 'no adapter found', probeMs: 40 }]);
    expect(statuses.find((s) => s.name === 'webgpu')).toMatchObject({ status: 'failed', detail: 'no adapter found', probeMs: 40 });
    expect(statuses.find((s) => s.name === 'cpu')).toMatchObject({ status: 'failed', probeMs: null });
  });

  it('static statuses leave out the candidates', () => {
    expect(staticProviderStatuses(assessments).map((s) => s.name)).toEqual(['cuda', 'tensorrt']);
  });
});
