/**
 * Small models whose inputs random data would get wrong (issue 9): an int64 sample rate and a
 * recurrent state, an integer flag without a known default, and an image input [N,3,H,W] whose
 * H and W nothing sets.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildModelBytes, GraphBuilder } from '../../src/core/onnx/build';

const FEATURES = 16;
const weights = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 8);

function save(dir: string, name: string, g: GraphBuilder): string {
  const file = path.join(dir, `${name}.onnx`);
  writeFileSync(file, buildModelBytes(g, { opset: 17 }));
  return file;
}

/** y = ((x + state) · W) · float(sr) / 16000: x float32 [N,16], sr int64 scalar, state float32 [1,16]. */
export function speechModel(dir: string): string {
  const g = new GraphBuilder('speech');
  const x = g.input('x', 'float32', ['N', FEATURES]);
  const sr = g.input('sr', 'int64', []);
  const state = g.input('state', 'float32', [1, FEATURES]);
  const mixed = g.op('MatMul', [g.op('Add', [x, state]), g.initializer('W', weights(FEATURES * FEATURES), [FEATURES, FEATURES])]);
  const rate = g.op('Div', [g.op('Cast', [sr], { to: 1 }), g.initializer('rate', new Float32Array([16000]), [])]);
  g.op('Mul', [mixed, rate], {}, { output: 'y' });
  g.output('y', 'float32', ['N', FEATURES]);
  return save(dir, 'speech', g);
}

/** y = (x · W) · float(flag): an int64 scalar no name rule explains. */
export function flaggedModel(dir: string): string {
  const g = new GraphBuilder('flagged');
  const x = g.input('x', 'float32', ['N', FEATURES]);
  const flag = g.input('flag', 'int64', []);
  const product = g.op('MatMul', [x, g.initializer('W', weights(FEATURES * FEATURES), [FEATURES, FEATURES])]);
  g.op('Mul', [product, g.op('Cast', [flag], { to: 1 })], {}, { output: 'y' });
  g.output('y', 'float32', ['N', FEATURES]);
  return save(dir, 'flagged', g);
}

/** A 3×3 convolution over x float32 [N,3,H,W]: a detector's input, H and W left to the user. */
export function detectorModel(dir: string): string {
  const g = new GraphBuilder('detector');
  const x = g.input('images', 'float32', ['N', 3, 'H', 'W']);
  g.op('Conv', [x, g.initializer('K', weights(4 * 3 * 3 * 3), [4, 3, 3, 3])], { pads: [1, 1, 1, 1] }, { output: 'y' });
  g.output('y', 'float32', ['N', 4, 'H', 'W']);
  return save(dir, 'detector', g);
}
