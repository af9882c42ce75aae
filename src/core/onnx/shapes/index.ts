/**
 * Shape propagation over an ONNX graph (graph.ts), with one module of rules per operator family
 * (rules.ts lists them). This is the folder's public entry.
 */
export {
  broadcastShapes,
  isKnownShape,
  numel,
  Scope,
  type Dim,
  type GraphShapes,
  type InferContext,
  type NodeShapes,
  type Scalar,
  type Shape,
  type ShapeOptions,
  type ValueShape,
} from './context';
export { inferShapes } from './graph';
export { einsumSizes, parseEinsum } from './matmul';
