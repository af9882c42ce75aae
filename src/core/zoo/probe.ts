import { buildModelBytes, GraphBuilder } from '../onnx/build';
import { normalArray, createRng } from './rng';

const PROBE_FEATURES = 16;
const PROBE_SEED = 0x70726f62;
/** TensorProto.DataType values for Cast's `to`. */
const FLOAT = 1;
const FLOAT16 = 10;

/**
 * A tiny float32 model (x [1,16] → MatMul 16×16 → Add → Relu → y) for asking an execution
 * provider "can you load and run anything at all?". Every EP implements these three ops, so a
 * failure means the provider itself is unusable. Same bytes on every call.
 */
export function buildProbeModel(): Uint8Array {
  const rng = createRng(PROBE_SEED);
  const g = new GraphBuilder('inferscope-probe');
  const x = g.input('x', 'float32', [1, PROBE_FEATURES]);
  const w = g.initializer('weight', normalArray(rng, PROBE_FEATURES * PROBE_FEATURES, 0.25), [PROBE_FEATURES, PROBE_FEATURES]);
  const b = g.initializer('bias', normalArray(rng, PROBE_FEATURES, 0.1), [PROBE_FEATURES]);
  const product = g.op('MatMul', [x, w]);
  const sum = g.op('Add', [product, b]);
  g.op('Relu', [sum], {}, { output: 'y' });
  g.output('y', 'float32', [1, PROBE_FEATURES]);
  return buildModelBytes(g, { opset: 17, docString: 'Inferscope execution provider probe' });
}

/** The probe's input and output names and shape, for whoever runs it. */
export const PROBE_IO = { input: 'x', output: 'y', shape: [1, PROBE_FEATURES] } as const;

/**
 * A tiny float16 model (x float32 [1,16] → Cast to float16 → Mul → Add → Cast back → y) for asking a
 * GPU provider "can you compute in float16?". WebGPU needs the adapter's shader-f16 for it; without it
 * onnxruntime fails at the first run ("Program Cast requires f16 but the device does not support it").
 */
export function buildFp16ProbeModel(): Uint8Array {
  const g = new GraphBuilder('inferscope-fp16-probe');
  const x = g.input('x', 'float32', [1, PROBE_FEATURES]);
  const half = g.op('Cast', [x], { to: FLOAT16 });
  const square = g.op('Mul', [half, half]);
  const sum = g.op('Add', [square, half]);
  g.op('Cast', [sum], { to: FLOAT }, { output: 'y' });
  g.output('y', 'float32', [1, PROBE_FEATURES]);
  return buildModelBytes(g, { opset: 17, docString: 'Inferscope float16 probe' });
}
