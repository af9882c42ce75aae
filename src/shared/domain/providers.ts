/**
 * The one table of ONNX Runtime execution providers Inferscope knows: the short name
 * onnxruntime-node uses ("webgpu"), the name people read ("WebGPU"), the name onnxruntime's
 * profiler writes ("WebGpuExecutionProvider"), and whether it runs on a GPU and whose.
 */
import type { Gpu } from './hardware';

interface ProviderFacts {
  displayName: string;
  profilerName: string;
  /** Runs the graph on a GPU or accelerator (unless its adapter is a software fallback). */
  gpu: boolean;
  vendor?: Gpu['vendor'];
  /** Colour slot in charts, so a provider kind reads the same in every chart. */
  colorSlot: 0 | 1 | 2 | 3 | 4;
}

const PROVIDERS: Readonly<Record<string, ProviderFacts>> = {
  cpu: { displayName: 'CPU', profilerName: 'CPUExecutionProvider', gpu: false, colorSlot: 0 },
  webgpu: { displayName: 'WebGPU', profilerName: 'WebGpuExecutionProvider', gpu: true, colorSlot: 1 },
  js: { displayName: 'JS', profilerName: 'JsExecutionProvider', gpu: false, colorSlot: 1 },
  cuda: { displayName: 'CUDA', profilerName: 'CUDAExecutionProvider', gpu: true, vendor: 'nvidia', colorSlot: 2 },
  tensorrt: { displayName: 'TensorRT', profilerName: 'TensorrtExecutionProvider', gpu: true, vendor: 'nvidia', colorSlot: 2 },
  dml: { displayName: 'DirectML', profilerName: 'DmlExecutionProvider', gpu: true, colorSlot: 3 },
  coreml: { displayName: 'Core ML', profilerName: 'CoreMLExecutionProvider', gpu: true, vendor: 'apple', colorSlot: 3 },
  openvino: { displayName: 'OpenVINO', profilerName: 'OpenVINOExecutionProvider', gpu: false, colorSlot: 3 },
  rocm: { displayName: 'ROCm', profilerName: 'ROCMExecutionProvider', gpu: true, vendor: 'amd', colorSlot: 4 },
  migraphx: { displayName: 'MIGraphX', profilerName: 'MIGraphXExecutionProvider', gpu: true, vendor: 'amd', colorSlot: 4 },
  qnn: { displayName: 'QNN', profilerName: 'QNNExecutionProvider', gpu: false, colorSlot: 4 },
  nnapi: { displayName: 'NNAPI', profilerName: 'NnapiExecutionProvider', gpu: false, colorSlot: 4 },
  webnn: { displayName: 'WebNN', profilerName: 'WebNNExecutionProvider', gpu: false, colorSlot: 4 },
  xnnpack: { displayName: 'XNNPACK', profilerName: 'XnnpackExecutionProvider', gpu: false, colorSlot: 4 },
  dnnl: { displayName: 'oneDNN', profilerName: 'DnnlExecutionProvider', gpu: false, colorSlot: 4 },
  acl: { displayName: 'ACL', profilerName: 'ACLExecutionProvider', gpu: false, colorSlot: 4 },
  armnn: { displayName: 'ArmNN', profilerName: 'ArmNNExecutionProvider', gpu: false, colorSlot: 4 },
  vitisai: { displayName: 'Vitis AI', profilerName: 'VitisAIExecutionProvider', gpu: false, colorSlot: 4 },
  azure: { displayName: 'Azure', profilerName: 'AzureExecutionProvider', gpu: false, colorSlot: 4 },
};

/** The short key of a provider from either spelling: "webgpu" or "WebGpuExecutionProvider". */
export function providerKey(name: string): string {
  return name.replace(/ExecutionProvider$/, '').toLowerCase();
}

function facts(name: string): ProviderFacts | undefined {
  return PROVIDERS[providerKey(name)];
}

/** "WebGPU", "Core ML", "TensorRT"; an unknown provider keeps its own name. */
export function providerDisplayName(name: string): string {
  return facts(name)?.displayName ?? name.replace(/ExecutionProvider$/, '');
}

/** The name onnxruntime's profiler gives the provider ("cuda" → "CUDAExecutionProvider"). */
export function providerProfilerName(name: string): string {
  return facts(name)?.profilerName ?? name;
}

/** Whether the provider runs on a GPU or accelerator (WebGPU on a software adapter is decided elsewhere). */
export function isGpuProvider(name: string): boolean {
  return facts(name)?.gpu ?? false;
}

export function providerVendor(name: string): Gpu['vendor'] | undefined {
  return facts(name)?.vendor;
}

export function providerColorSlot(name: string): number {
  return facts(name)?.colorSlot ?? 4;
}
