/**
 * Quantizing with automatic exclusion, through the contract as the app's "Until good" button and
 * `quantize --auto-exclude` call it: a variant that divides by zero once two MatMuls round alike is
 * made again with its worst layers in float until the figures say good; every attempt is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildModelBytes, GraphBuilder } from '../../../../src/core/onnx/build';
import { dispatch } from '../../../../src/shared/contract/dispatch';
import type { Variant } from '../../../../src/shared/domain/variant';
import { scratchServices, type ScratchServices } from '../../../support/services';

let s: ScratchServices;
let file: string;

/** y = x ÷ (x·W − x·W2): finite in fp32, ±Inf once W and W2 (1e-4 apart, on the int8 grid) become the same int8 weights. */
function gapModel(): Uint8Array {
  const g = new GraphBuilder('gap');
  const x = g.input('x', 'float32', [1, 64]);
  const w = new Float32Array(64 * 64).map((_, i) => (((i * 37) % 255) - 127) / 127);
  const w2 = w.map((v) => (Math.abs(v) === 1 ? v : v - 1e-4));
  const a = g.op('MatMul', [x, g.initializer('W', w, [64, 64])], {}, { name: 'mm_a' });
  const b = g.op('MatMul', [x, g.initializer('W2', w2, [64, 64])], {}, { name: 'mm_b' });
  g.op('Div', [x, g.op('Sub', [a, b], {}, { name: 'gap' })], {}, { name: 'ratio', output: 'y' });
  g.output('y', 'float32', [1, 64]);
  return buildModelBytes(g, { opset: 17 });
}

beforeAll(() => {
  s = scratchServices('auto-exclude');
  file = path.join(s.dir, 'gap.onnx');
  writeFileSync(file, gapModel());
});

afterAll(async () => {
  await s.dispose();
});

describe('automatic exclusion', () => {
  it('leaves the layers that break the output in float until the figures say good, and keeps every attempt', async () => {
    const messages: string[] = [];
    const result = await dispatch(
      s.handlers,
      'quantize.run',
      { request: { source: { kind: 'path', path: file }, options: { mode: 'int8-dynamic' }, autoExclude: true, jobId: 'auto' } },
      { emit: (event, payload) => void (event === 'quantize.progress' && messages.push((payload as { message: string }).message)) },
    );
    if (!result.ok) throw new Error(result.error.message);
    const variant = result.value as Variant;
    const attempts = variant.autoExclude?.attempts ?? [];
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[0]).toMatchObject({ excluded: [], verdict: 'unusable' });
    expect(attempts.at(-1)!.excluded).toEqual(expect.arrayContaining(['mm_a', 'mm_b']));
    expect(variant.autoExclude?.stop).toBe('good');
    // The answer is the attempt that made it, and its output is finite again.
    expect(variant.id).toBe(attempts.at(-1)!.variantId);
    expect(variant.report.quality[0]!.broken).toBe(false);
    expect(messages.some((m) => /^Attempt 2: leaving .*mm_/.test(m))).toBe(true);
    const listed = await dispatch(s.handlers, 'variants.list', { source: { kind: 'path', path: file } }, { emit: () => undefined });
    expect(listed.ok && (listed.value as Variant[]).length).toBe(attempts.length);
  });
});
