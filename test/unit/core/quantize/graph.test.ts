import { describe, expect, it } from 'vitest';
import { attr, buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import { DataType } from '../../../../src/core/onnx/codec';
import type { GraphProto, ModelProto, NodeProto } from '../../../../src/core/onnx/codec';
import { readFloatTensor } from '../../../../src/core/onnx/tensor';
import {
  allGraphs,
  cloneModel,
  constantsToInitializers,
  consumersOf,
  ensureOpsetImport,
  findInitializer,
  modelNames,
  nameAllocatorFor,
  opsetVersion,
  outerReads,
  removeInitializerInputs,
  removeUnusedInitializers,
  topologicalSort,
} from '../../../../src/core/quantize/graph';
import { inferNodeOutputTypes, propagateSubgraph } from '../../../../src/core/quantize/element-types';

/** x → If(cond) { then: MatMul(x, W_outer) ; else: MatMul(x, Constant W_inner) } → y */
function modelWithIf(): ModelProto {
  const g = new GraphBuilder('main');
  const x = g.input('x', 'float32', [1, 4]);
  const cond = g.input('cond', 'bool', []);
  const outer = g.initializer('W_outer', new Float32Array(16).fill(0.5), [4, 4]);
  g.initializer('unused', new Float32Array([1]), [1]);
  const thenBranch = g.subgraph('then', (s) => {
    s.op('MatMul', [x, outer], {}, { output: 'then_y' });
    s.output('then_y', 'float32', [1, 4]);
  });
  const elseBranch = g.subgraph('else', (s) => {
    const w = s.constant(new Float32Array(16).fill(2), [4, 4], { output: 'W_inner' });
    s.op('MatMul', [x, w], {}, { output: 'else_y' });
    s.output('else_y', 'float32', [1, 4]);
  });
  g.node('If', [cond], ['y'], { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) });
  g.output('y', 'float32', [1, 4]);
  return buildModel(g, { opset: 17 });
}

describe('graph utilities', () => {
  it('clones containers but leaves the original alone', () => {
    const model = modelWithIf();
    const copy = cloneModel(model);
    copy.graph!.node![0]!.input![0] = 'changed';
    copy.graph!.initializer = [];
    expect(model.graph!.node![0]!.input![0]).toBe('cond');
    expect(model.graph!.initializer!.length).toBe(2);
    // Subgraphs are copies too.
    const thenCopy = copy.graph!.node![0]!.attribute![0]!.g as GraphProto;
    thenCopy.node![0]!.op_type = 'Gemm';
    expect(model.graph!.node![0]!.attribute![0]!.g!.node![0]!.op_type).toBe('MatMul');
  });

  it('walks subgraphs and collects every name', () => {
    const model = modelWithIf();
    expect(allGraphs(model).map((e) => e.graph.name)).toEqual(['main', 'then', 'else']);
    const names = modelNames(model);
    for (const n of ['x', 'W_outer', 'then_y', 'else_y', 'W_inner', 'y']) expect(names.has(n)).toBe(true);
    const allocator = nameAllocatorFor(model);
    expect(allocator.fresh('W_inner')).toBe('W_inner_1');
    expect(allocator.fresh('fresh_name')).toBe('fresh_name');
  });

  it('turns Constants into initializers of their own graph, keeping graph-output constants as nodes', () => {
    const g = new GraphBuilder('main');
    const x = g.input('x', 'float32', [2]);
    const c = g.constant(new Float32Array([1, 2]), [2], { output: 'c' });
    g.op('Add', [x, c], {}, { output: 'y' });
    g.node('Constant', [], ['k'], { value_ints: attr.ints([3, 4]) });
    g.output('y', 'float32', [2]);
    g.output('k', 'int64', [2]);
    const model = buildModel(g, { opset: 17 });
    expect(constantsToInitializers(model)).toBe(1);
    const init = model.graph!.initializer!.find((t) => t.name === 'c')!;
    expect(Array.from(readFloatTensor(init))).toEqual([1, 2]);
    expect(model.graph!.node!.map((n) => n.op_type)).toEqual(['Add', 'Constant']);

    const withIf = modelWithIf();
    constantsToInitializers(withIf);
    const elseGraph = withIf.graph!.node![0]!.attribute![1]!.g as GraphProto;
    expect(elseGraph.initializer!.map((t) => t.name)).toEqual(['W_inner']);
    expect(elseGraph.node!.map((n) => n.op_type)).toEqual(['MatMul']);
  });

  it('counts outer-scope reads of bodies as uses of the owning node', () => {
    const model = modelWithIf();
    const main = model.graph!;
    const ifNode = main.node![0] as NodeProto;
    expect([...outerReads(ifNode.attribute![0]!.g!)].sort()).toEqual(['W_outer', 'x']);
    const uses = consumersOf(main);
    expect(uses.get('W_outer')).toEqual([{ node: ifNode, input: -1 }]);
    expect(uses.get('cond')).toEqual([{ node: ifNode, input: 0 }]);
    const thenEntry = allGraphs(model)[1]!;
    expect(findInitializer(thenEntry, 'W_outer')?.graph).toBe(main);
    expect(findInitializer(thenEntry, 'x')).toBeUndefined();
  });

  it('removes unused initializers but keeps those only a body reads', () => {
    const model = modelWithIf();
    model.graph!.input = [...model.graph!.input!, { name: 'unused' }];
    expect(removeUnusedInitializers(model)).toBe(1);
    expect(model.graph!.initializer!.map((t) => t.name)).toEqual(['W_outer']);
    expect(model.graph!.input!.map((i) => i.name)).toEqual(['x', 'cond']);
  });

  it('drops initializers from graph.input', () => {
    const model = modelWithIf();
    model.graph!.input = [...model.graph!.input!, { name: 'W_outer' }];
    removeInitializerInputs(model.graph!, ['W_outer']);
    expect(model.graph!.input!.map((i) => i.name)).toEqual(['x', 'cond']);
  });

  it('sorts nodes topologically (body reads included) and rejects cycles', () => {
    const graph: GraphProto = {
      name: 'g',
      input: [{ name: 'a' }],
      output: [{ name: 'd' }],
      node: [
        {
          name: 'n3',
          op_type: 'If',
          input: ['c'],
          output: ['d'],
          attribute: [
            { name: 'then_branch', g: { node: [{ op_type: 'Identity', input: ['b'], output: ['t'] }], output: [{ name: 't' }] } },
          ],
        },
        { name: 'n2', op_type: 'Relu', input: ['a'], output: ['b'] },
        { name: 'n1', op_type: 'Not', input: ['a'], output: ['c'] },
      ],
    };
    topologicalSort(graph);
    expect(graph.node!.map((n) => n.name)).toEqual(['n2', 'n1', 'n3']);
    // A long chain written backwards comes out forwards.
    const chain: GraphProto = {
      name: 'chain',
      input: [{ name: 'v0' }],
      node: Array.from({ length: 200 }, (_, i) => ({
        name: `n${200 - i}`,
        op_type: 'Relu',
        input: [`v${199 - i}`],
        output: [`v${200 - i}`],
      })),
    };
    topologicalSort(chain);
    expect(chain.node!.map((n) => n.name)).toEqual(Array.from({ length: 200 }, (_, i) => `n${i + 1}`));
    const cyclic: GraphProto = {
      name: 'cyclic',
      node: [
        { name: 'p', op_type: 'Relu', input: ['q_out'], output: ['p_out'] },
        { name: 'q', op_type: 'Relu', input: ['p_out'], output: ['q_out'] },
      ],
    };
    expect(() => topologicalSort(cyclic)).toThrow(/cycle/);
  });

  it('reads and adds opset imports', () => {
    const model = modelWithIf();
    expect(opsetVersion(model)).toBe(17);
    expect(opsetVersion(model, 'com.microsoft')).toBeUndefined();
    ensureOpsetImport(model, 'com.microsoft', 1);
    ensureOpsetImport(model, 'com.microsoft', 1);
    expect(model.opset_import!.filter((o) => o.domain === 'com.microsoft').length).toBe(1);
    expect(opsetVersion(model, 'com.microsoft')).toBe(1);
  });
});

describe('element types inside bodies', () => {
  it('propagates op by op from outer values', () => {
    const model = modelWithIf();
    constantsToInitializers(model);
    const types = new Map<string, number>([
      ['x', DataType.FLOAT],
      ['W_outer', DataType.FLOAT],
    ]);
    for (const { graph, owner } of allGraphs(model)) if (owner) propagateSubgraph(graph, types);
    expect(types.get('then_y')).toBe(DataType.FLOAT);
    expect(types.get('else_y')).toBe(DataType.FLOAT);
    expect(types.get('W_inner')).toBe(DataType.FLOAT);
  });

  it('knows the operators that change types', () => {
    const types = new Map<string, number>([
      ['f', DataType.FLOAT],
      ['i', DataType.INT64],
    ]);
    const node = (op_type: string, input: string[], outputs = 1, extra: Partial<NodeProto> = {}): NodeProto => ({
      op_type,
      input,
      output: Array.from({ length: outputs }, (_, k) => `o${k}`),
      ...extra,
    });
    expect(inferNodeOutputTypes(node('Shape', ['f']), types)).toEqual([DataType.INT64]);
    expect(inferNodeOutputTypes(node('Less', ['f', 'f']), types)).toEqual([DataType.BOOL]);
    expect(inferNodeOutputTypes(node('Cast', ['i'], 1, { attribute: [{ name: 'to', type: 2, i: DataType.FLOAT16 }] }), types)).toEqual([
      DataType.FLOAT16,
    ]);
    expect(inferNodeOutputTypes(node('TopK', ['f', 'i'], 2), types)).toEqual([DataType.FLOAT, DataType.INT64]);
    expect(inferNodeOutputTypes(node('Where', ['b', 'f', 'f']), types)).toEqual([DataType.FLOAT]);
    expect(inferNodeOutputTypes(node('Add', ['f', 'f']), types)).toEqual([DataType.FLOAT]);
    expect(inferNodeOutputTypes(node('DynamicQuantizeLinear', ['f'], 3), types)).toEqual([DataType.UINT8, DataType.FLOAT, DataType.UINT8]);
    expect(inferNodeOutputTypes(node('Custom', ['f'], 1, { domain: 'my.domain' }), types)).toEqual([undefined]);
  });
});
