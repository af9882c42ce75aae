import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebgpuEnvironmentSchema } from '../../../../src/shared/domain/hardware';
import { assessWebgpu, icdKind, listVulkanIcds, webgpuEnvironment } from '../../../../src/core/hardware/webgpu';

describe('Vulkan ICD names', () => {
  it('tells hardware drivers from software ones', () => {
    expect(icdKind('/usr/share/vulkan/icd.d/nvidia_icd.json')).toBe('nvidia');
    expect(icdKind('radeon_icd.x86_64.json')).toBe('amd');
    expect(icdKind('amd_icd64.json')).toBe('amd');
    expect(icdKind('intel_hasvk_icd.x86_64.json')).toBe('intel');
    expect(icdKind('lvp_icd.x86_64.json')).toBe('software');
    expect(icdKind('/usr/lib/chromium/vk_swiftshader_icd.json')).toBe('software');
    expect(icdKind('virtio_icd.x86_64.json')).toBe('other');
  });
});

describe.runIf(process.platform === 'linux')('webgpu environment on Linux', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'inferscope-vulkan-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = (name: string, files: string[]): string => {
    const d = path.join(root, name);
    mkdirSync(d, { recursive: true });
    for (const file of files) writeFileSync(path.join(d, file), '{"file_format_version": "1.0.0", "ICD": {}}');
    return d;
  };
  // What Debian's mesa-vulkan-drivers installs: ICDs for vendors whether or not their GPU is present.
  const mesa = dir('mesa', ['intel_icd.x86_64.json', 'intel_hasvk_icd.x86_64.json', 'lvp_icd.x86_64.json', 'radeon_icd.x86_64.json']);
  const nvidia = dir('nvidia', ['nvidia_icd.json']);
  const empty = dir('empty', []);
  const swiftshader = path.join(dir('chromium', ['vk_swiftshader_icd.json']), 'vk_swiftshader_icd.json');
  const noSwiftshader = path.join(root, 'no-chromium', 'vk_swiftshader_icd.json');

  it('lists ICD manifests from every directory that exists', () => {
    expect(
      listVulkanIcds([mesa, nvidia, path.join(root, 'absent')])
        .map((file) => path.basename(file))
        .sort(),
    ).toEqual(['intel_hasvk_icd.x86_64.json', 'intel_icd.x86_64.json', 'lvp_icd.x86_64.json', 'nvidia_icd.json', 'radeon_icd.x86_64.json']);
  });

  it('without a GPU, points Vulkan at SwiftShader and labels it software even though mesa ICDs exist', () => {
    const result = assessWebgpu({ gpuVendors: [], icdDirs: [mesa], swiftshaderIcd: swiftshader, env: {} });
    expect(result.available).toBe(true);
    expect(result.environment.env).toEqual({ VK_ICD_FILENAMES: swiftshader });
    expect(result.environment.software).toBe(true);
    expect(result.environment.note).toMatch(/SwiftShader.*not a GPU/);
    expect(result.adapter).toMatch(/software/);
    WebgpuEnvironmentSchema.parse(result.environment);
  });

  it('a BMC display controller ("other") is not a GPU for WebGPU', () => {
    expect(assessWebgpu({ gpuVendors: ['other'], icdDirs: [mesa], swiftshaderIcd: swiftshader, env: {} }).environment.software).toBe(true);
  });

  it('with a GPU whose vendor has an ICD, sets nothing and is hardware', () => {
    const result = assessWebgpu({ gpuVendors: ['nvidia', 'other'], icdDirs: [mesa, nvidia], swiftshaderIcd: swiftshader, env: {} });
    expect(result.environment).toMatchObject({ env: {}, software: false });
    expect(result.environment.note).toContain('nvidia_icd.json');
  });

  it('an NVIDIA GPU without its Vulkan driver still falls back to SwiftShader', () => {
    const result = assessWebgpu({ gpuVendors: ['nvidia'], icdDirs: [mesa], swiftshaderIcd: swiftshader, env: {} });
    expect(result.environment.software).toBe(true);
  });

  it('without SwiftShader, lavapipe is the software fallback; with nothing, no adapter', () => {
    const lavapipe = assessWebgpu({ gpuVendors: [], icdDirs: [mesa], swiftshaderIcd: noSwiftshader, env: {} });
    expect(lavapipe).toMatchObject({ available: true, environment: { env: {}, software: true } });
    const nothing = assessWebgpu({ gpuVendors: [], icdDirs: [empty], swiftshaderIcd: noSwiftshader, env: {} });
    expect(nothing.available).toBe(false);
    expect(nothing.environment.note).toMatch(/no adapter/);
  });

  it('respects a VK_ICD_FILENAMES the user already set', () => {
    const chosen = assessWebgpu({ gpuVendors: [], icdDirs: [mesa], swiftshaderIcd: swiftshader, env: { VK_ICD_FILENAMES: swiftshader } });
    expect(chosen.environment).toMatchObject({ env: {}, software: true });
    const hardware = assessWebgpu({ gpuVendors: [], icdDirs: [mesa], env: { VK_ICD_FILENAMES: path.join(nvidia, 'nvidia_icd.json') } });
    expect(hardware.environment.software).toBe(false);
  });

  it('webgpuEnvironment() with no arguments reads this machine', () => {
    WebgpuEnvironmentSchema.parse(webgpuEnvironment());
  });
});
