/** Small models that make an execution provider fail in specific ways. */
import { buildModelBytes, GraphBuilder } from '../../src/core/onnx/build';

/** x[n,3] → Reshape to [2,2]: loads fine (n is symbolic), fails on the first run with n = 1. */
export function reshapeFailsAtRun(): Uint8Array {
  const g = new GraphBuilder('reshape-fails');
  const x = g.input('x', 'float32', ['n', 3]);
  const shape = g.initializer('shape', new BigInt64Array([2n, 2n]), [2]);
  g.op('Reshape', [x, shape], {}, { output: 'y' });
  g.output('y', 'float32', [2, 2]);
  return buildModelBytes(g, { opset: 17 });
}

/**
 * Det, which the WebGPU EP does not implement, so ONNX Runtime runs it on the CPU EP.
 * With `matmul`, a MatMul in front gives the WebGPU EP something to run.
 */
export function detModel(matmul: boolean): Uint8Array {
  const g = new GraphBuilder(matmul ? 'matmul-det' : 'det');
  let t = g.input('x', 'float32', [3, 3]);
  if (matmul) t = g.op('MatMul', [t, g.initializer('w', new Float32Array(9).fill(0.5), [3, 3])]);
  g.op('Det', [t], {}, { output: 'y' });
  g.output('y', 'float32', []);
  return buildModelBytes(g, { opset: 17 });
}
