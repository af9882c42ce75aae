/**
 * `inferscope inspect` text: the reasons MACs are unknown, how If branches were counted, and the
 * parameters nodes make, as the Model view shows them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printModel } from '../../../src/cli/print';
import { attr, buildModelBytes, GraphBuilder, tensor } from '../../../src/core/onnx/build';
import { inspectModel } from '../../../src/core/onnx/inspect';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'inferscope-print-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function printed(g: GraphBuilder): Promise<string> {
  const path = join(dir, `${g.name}.onnx`);
  writeFileSync(path, buildModelBytes(g));
  return printModel(await inspectModel(path));
}

describe('printModel', () => {
  it('names the dim and node that keep MACs unknown', async () => {
    const g = new GraphBuilder('frames');
    const x = g.input('audio', 'float32', [1, 'frames', 64]);
    g.output(g.op('MatMul', [x, g.initializer('w', new Float32Array(64 * 32), [64, 32])], {}, { name: 'proj' }), 'float32');
    const text = await printed(g);
    expect(text).toContain('MACs blocked (unset-dims)');
    expect(text).toContain('  dims without a value: frames');
    expect(text).toContain('  MatMul "proj": shapes depend on unset dims (frames)');
  });

  it('says which If branch was counted, the range, and what ConstantOfShape made', async () => {
    const g = new GraphBuilder('branches');
    const x = g.input('x', 'float32', [1, 4]);
    const c = g.input('c', 'bool', []);
    const shape = g.constant(new BigInt64Array([4n, 4n]), [2]);
    const w = g.op('ConstantOfShape', [shape], { value: attr.tensor(tensor('', new Float32Array([1]), [1])) });
    const thenBranch = g.subgraph('then', (b) => void b.output(b.op('MatMul', [x, w]), 'float32', [1, 4]));
    const elseBranch = g.subgraph('else', (b) => void b.output(b.op('Neg', [x]), 'float32', [1, 4]));
    g.output(g.op('If', [c], { then_branch: thenBranch, else_branch: elseBranch }, { name: 'gate' }), 'float32', [1, 4]);
    const text = await printed(g);
    expect(text).toMatch(/MACs:\s+16 \(32 FLOPs\), the larger If branches; 0–16 depending on the branches taken/);
    expect(text).toContain('MACs through control flow');
    expect(text).toContain(
      'If "gate": decided at run time; counted the then_branch (16 MACs, the larger); the else_branch would count 16 fewer.',
    );
    expect(text).toMatch(/Parameters:\s+18 \(80 B\), including 16 made by 1 ConstantOfShape node/);
  });
});
