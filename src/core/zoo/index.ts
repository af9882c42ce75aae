/** The sample model zoo: small, deterministic ONNX models built in code and generated on demand. */
export { listSamples, getSampleInfo, buildSampleModel, buildSampleBytes, sampleFileName } from './catalog';
export { ensureSample } from './store';
export { buildFp16ProbeModel, buildProbeModel, PROBE_IO } from './probe';
export type { SampleInfo, SampleTensor, SampleTask } from './types';
