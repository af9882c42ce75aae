import { describe, expect, it } from 'vitest';
import { DataType } from '../../../../src/core/onnx/codec';
import { broadcastShapes, inferShapes, type GraphShapes, type Shape } from '../../../../src/core/onnx/shapes';
import { floatTensor, int64Tensor, makeModel, node, subgraph, tensorValue } from './helpers';

const F = DataType.FLOAT;

function shapeOf(result: GraphShapes, name: string): Shape | undefined {
  for (const r of result.nodes) {
    const i = (r.node.output ?? []).indexOf(name);
    if (i >= 0) return r.outputs[i]?.shape;
  }
  return undefined;
}

describe('shape propagation', () => {
  it('broadcasts with symbols: 1 yields to anything, a fixed size wins over a symbol', () => {
    expect(
      broadcastShapes([
        ['b', 1, 4],
        [3, 1],
      ]),
    ).toEqual(['b', 3, 4]);
    expect(
      broadcastShapes([
        ['b', 's'],
        ['b', 1],
      ]),
    ).toEqual(['b', 's']);
    expect(broadcastShapes([['a'], ['b']])).toEqual([null]);
    expect(
      broadcastShapes([
        [2, 3],
        [4, 3],
      ]),
    ).toEqual([null, 3]);
    expect(broadcastShapes([[2], undefined])).toBeUndefined();
  });

  it('keeps symbolic dims through Reshape with -1 when the symbols cancel', () => {
    const model = makeModel({
      inputs: [tensorValue('x', F, ['batch', 'seq', 64])],
      outputs: [tensorValue('y', F)],
      initializers: [int64Tensor('split_heads', [4], [0, 0, 8, -1]), int64Tensor('flat', [2], [-1, 64])],
      nodes: [node('Reshape', ['x', 'split_heads'], ['h']), node('Reshape', ['h', 'flat'], ['y'])],
    });
    const result = inferShapes(model.graph!);
    expect(shapeOf(result, 'h')).toEqual(['batch', 'seq', 8, 8]);
    // -1 here would be batch·seq: not one symbol, so unknown rather than invented.
    expect(shapeOf(result, 'y')).toEqual([null, 64]);
  });

  it('folds Shape arithmetic with symbolic entries', () => {
    const model = makeModel({
      inputs: [tensorValue('x', F, ['batch', 'seq', 64])],
      outputs: [tensorValue('y', F)],
      initializers: [int64Tensor('i2', [], [2]), int64Tensor('i0', [1], [0]), int64Tensor('two', [], [2])],
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'i2'], ['d']),
        node('Div', ['d', 'two'], ['half']),
        node('Unsqueeze', ['half', 'i0'], ['half1']),
        node('Slice', ['s', 'i0', 'i0'], ['empty']),
        node('Shape', ['x'], ['tail'], { start: 1 }),
        node('Concat', ['tail', 'half1'], ['target'], { axis: 0 }),
        node('ConstantOfShape', ['target'], ['y']),
      ],
    });
    const result = inferShapes(model.graph!);
    expect(result.values.get('half1')?.value).toEqual([32]);
    expect(result.values.get('tail')?.value).toEqual(['seq', 64]);
    expect(shapeOf(result, 'y')).toEqual(['seq', 64, 32]);
    expect(shapeOf(result, 'empty')).toEqual([0]);
  });

  it('resolves symbols through the options and fills gaps from value_info', () => {
    const model = makeModel({
      inputs: [tensorValue('x', F, ['batch', 'seq'])],
      outputs: [tensorValue('y', F, ['batch', 'seq', 7])],
      nodes: [node('MyOp', ['x'], ['y'], {}, { domain: 'custom' }), node('Relu', ['y'], ['z'])],
      extraOpsets: [{ domain: 'custom', version: 1 }],
    });
    const result = inferShapes(model.graph!, { resolveParam: (p) => (p === 'batch' ? 2 : p) });
    expect(shapeOf(result, 'y')).toEqual([2, 'seq', 7]);
    expect(shapeOf(result, 'z')).toEqual([2, 'seq', 7]);
  });

  it('does not depend on node order', () => {
    const model = makeModel({
      inputs: [tensorValue('x', F, [2, 3])],
      outputs: [tensorValue('y', F)],
      initializers: [floatTensor('w', [3, 5])],
      nodes: [node('Relu', ['m'], ['y']), node('MatMul', ['x', 'w'], ['m'])],
    });
    expect(shapeOf(inferShapes(model.graph!), 'y')).toEqual([2, 5]);
  });

  it('merges If branch shapes: equal dims stay, different ones become unknown', () => {
    const model = makeModel({
      inputs: [tensorValue('c', DataType.BOOL, []), tensorValue('x', F, [4, 6])],
      outputs: [tensorValue('y', F)],
      initializers: [int64Tensor('a', [2], [4, 3]), int64Tensor('b', [2], [4, 2])],
      nodes: [
        node('If', ['c'], ['y'], {
          then_branch: subgraph('t', [node('Slice', ['x', 'i0', 'a'], ['t'])], [tensorValue('t', F)], [], [int64Tensor('i0', [2], [0, 0])]),
          else_branch: subgraph('e', [node('Slice', ['x', 'j0', 'b'], ['e'])], [tensorValue('e', F)], [], [int64Tensor('j0', [2], [0, 0])]),
        }),
      ],
    });
    expect(shapeOf(inferShapes(model.graph!), 'y')).toEqual([4, null]);
  });

  it('marks what it cannot know as unknown instead of guessing', () => {
    const model = makeModel({
      inputs: [tensorValue('x', F, [2, 8]), tensorValue('target', DataType.INT64, [3])],
      outputs: [tensorValue('y', F)],
      nodes: [node('Reshape', ['x', 'target'], ['r']), node('NonZero', ['x'], ['nz'])],
    });
    const result = inferShapes(model.graph!);
    expect(shapeOf(result, 'r')).toEqual([null, null, null]);
    expect(shapeOf(result, 'nz')).toEqual([2, null]);
  });
});
