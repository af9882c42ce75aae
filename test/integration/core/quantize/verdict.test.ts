/**
 * A variant whose output is broken, made for real (and the node where it breaks named): int8-dynamic of a model that divides by the gap
 * between two MatMuls whose weights differ by less than one int8 step (and share their extremes, so
 * their scales are equal): the variant's gap is exactly 0 and it divides by zero, where the fp32
 * original computes finite values. The report flags the output broken and calls the variant unusable
 * even on random inputs; the built CLI prints it first and exits 3 under --fail-on unusable. (fp16
 * keeps such a division in float32 by itself, so it no longer breaks this way.)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelBytes, GraphBuilder } from '../../../../src/core/onnx/build';
import { quantizeFile, type QuantizeFileResult } from '../../../../src/core/quantize/file';
import { QuantizeReportSchema } from '../../../../src/shared/domain/quantize';
import { repoRoot } from '../../../support/build';
import { scratchDir } from '../../../support/worker';

const scratch = scratchDir();
const modelPath = path.join(scratch.dir, 'gap.onnx');

/** y = x ÷ (x·W − x·W2), W2 = W − 1e-4 except at ±1: finite in fp32, ±Inf once both weights are the same int8 values. */
function gapModel(): Uint8Array {
  const g = new GraphBuilder('gap');
  const x = g.input('x', 'float32', [1, 64]);
  // On the int8 grid (multiples of 1/127), so a shift of 1e-4 never changes a rounded value.
  const w = new Float32Array(64 * 64).map((_, i) => (((i * 37) % 255) - 127) / 127);
  const w2 = w.map((v) => (Math.abs(v) === 1 ? v : v - 1e-4));
  const a = g.op('MatMul', [x, g.initializer('W', w, [64, 64])], {}, { name: 'mm_a' });
  const b = g.op('MatMul', [x, g.initializer('W2', w2, [64, 64])], {}, { name: 'mm_b' });
  const gap = g.op('Sub', [a, b], {}, { name: 'gap' });
  g.op('Div', [x, gap], {}, { name: 'ratio', output: 'y' });
  g.op('Mul', [x, g.initializer('two', new Float32Array([2]), [1])], {}, { name: 'double', output: 'z' });
  g.output('y', 'float32', [1, 64]);
  g.output('z', 'float32', [1, 64]);
  return buildModelBytes(g, { opset: 17 });
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/inferscope.js'), ...args], {
      env: { ...process.env, INFERSCOPE_HOME: path.join(scratch.dir, 'home') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let result: QuantizeFileResult;

beforeAll(async () => {
  writeFileSync(modelPath, gapModel());
  result = await quantizeFile({
    modelPath,
    outputPath: path.join(scratch.dir, 'gap-fp16.onnx'),
    options: { mode: 'int8-dynamic' },
    calibration: { kind: 'random', samples: 4, seed: 1 },
    evaluationSamples: 4,
    layerReport: 'always',
  });
});

afterAll(() => scratch.remove());

describe('a broken variant', () => {
  it('is flagged broken, with infinite differences, no SQNR and a cosine far from a match', () => {
    const [y, z] = result.report.quality;
    expect(y).toMatchObject({ name: 'y', broken: true, identical: false, sqnrDb: null, verdict: 'unusable' });
    expect(y!.nanCount + y!.infCount).toBe(4 * 64);
    expect(y!.maxAbsDiff).toBe(Infinity);
    expect(y!.cosine).toBeLessThan(0);
    // The healthy output is fine, but seeded random inputs leave it unverified.
    expect(z).toMatchObject({ name: 'z', broken: false, verdict: 'unverified' });
    // int8-dynamic leaves the multiplication as it is.
    expect(z!.identical).toBe(true);
  });

  it('is unusable even on random inputs, and names the node where Inf first appears', () => {
    expect(result.evaluation.source).toBe('random');
    expect(result.report.verdict).toBe('unusable');
    // The transformed MatMuls stay finite; every node is then looked at once: the division by the zero gap.
    expect(result.report.nonFiniteFrom).toMatchObject({ node: 'ratio', opType: 'Div' });
    expect(result.report.nonFiniteFrom!.nanCount + result.report.nonFiniteFrom!.infCount).toBe(64);
    expect(result.report.verdictReason).toMatch(/^output y: 256 (NaN|Inf).*\(first at node ratio, Div\)/);
    // The report survives the JSON it is stored as.
    const stored = QuantizeReportSchema.parse(JSON.parse(JSON.stringify(result.report)));
    expect(stored.quality[0]!.maxAbsDiff).toBe(Infinity);
    expect(stored.verdict).toBe('unusable');
  });

  it('the built CLI prints the verdict first and exits 3 under --fail-on unusable', async () => {
    const failing = await cli(['quantize', modelPath, '--mode', 'int8-dynamic', '--evaluation-samples', '2', '--fail-on', 'unusable']);
    expect(failing.code, failing.stderr).toBe(3);
    // Two evaluation inputs of 64 values each.
    expect(failing.stdout.split('\n')[0]).toMatch(/^Verdict: UNUSABLE — output y: 128 (NaN|Inf).*first at node ratio, Div/);
    expect(failing.stderr).toContain("the variant's quality verdict is unusable (--fail-on unusable): output y:");

    const json = await cli(['quantize', modelPath, '--mode', 'int8-dynamic', '--evaluation-samples', '2', '--json', '-']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { verdict: string; quality: { verdict: string; maxAbsDiff: number | null }[] };
    expect(report.verdict).toBe('unusable');
    expect(report.quality.map((q) => q.verdict)).toEqual(['unusable', 'unverified']);
    expect(report.quality[0]!.maxAbsDiff).toBeNull();
  });
});
