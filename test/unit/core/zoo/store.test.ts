import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSampleBytes, ensureSample, getSampleInfo } from '../../../../src/core/zoo';
import { InferscopeError } from '../../../../src/shared/errors';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferscope-zoo-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ensureSample', () => {
  it('generates the file on first use and reuses it afterwards', async () => {
    const samplesDir = join(dir, 'nested', 'samples');
    const path = await ensureSample('mnist-cnn', samplesDir);
    expect(path).toBe(join(samplesDir, getSampleInfo('mnist-cnn').fileName));
    const bytes = await readFile(path);
    expect(bytes.equals(Buffer.from(buildSampleBytes('mnist-cnn')))).toBe(true);

    // A second call must not rewrite: put a marker in the file and see it survive.
    const marker = Buffer.concat([bytes, Buffer.from('marker')]);
    await writeFile(path, marker);
    const before = await stat(path);
    expect(await ensureSample('mnist-cnn', samplesDir)).toBe(path);
    expect((await readFile(path)).equals(marker)).toBe(true);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(samplesDir)).toEqual([getSampleInfo('mnist-cnn').fileName]);
  });

  it('shares one generation between concurrent callers and leaves no temporary files', async () => {
    const paths = await Promise.all([ensureSample('mlp', dir), ensureSample('mlp', dir), ensureSample('mlp', dir)]);
    expect(new Set(paths).size).toBe(1);
    expect(await readdir(dir)).toEqual([getSampleInfo('mlp').fileName]);
  });

  it('regenerates an empty file and removes files of older versions', async () => {
    const info = getSampleInfo('mlp');
    await writeFile(join(dir, info.fileName), '');
    await writeFile(join(dir, `mlp-v${info.version + 100}.onnx`), 'stale');
    await writeFile(join(dir, 'mlp-extra.onnx'), 'not ours');
    await writeFile(join(dir, 'mnist-cnn-v0.onnx'), 'another sample');
    const path = await ensureSample('mlp', dir);
    expect((await stat(path)).size).toBe(buildSampleBytes('mlp').length);
    expect((await readdir(dir)).sort()).toEqual([info.fileName, 'mlp-extra.onnx', 'mnist-cnn-v0.onnx'].sort());
  });

  it('refuses unknown samples with SAMPLE_UNKNOWN and writes nothing', async () => {
    const error = await ensureSample('../../etc/passwd', dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferscopeError);
    expect((error as InferscopeError).code).toBe('SAMPLE_UNKNOWN');
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a directory it cannot create as IO_ERROR', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const error = await ensureSample('mnist-cnn', join(blocker, 'samples')).catch((e: unknown) => e);
    expect((error as InferscopeError).code).toBe('IO_ERROR');
  });
});
