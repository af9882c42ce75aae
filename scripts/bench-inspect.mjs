#!/usr/bin/env node
// Times model inspection on a ~100 MB fp32 model (budget: under 1 s).
//
//   node scripts/bench-inspect.mjs [--runs 5] [--mb 100] [--max-ms 1000]
//
// The model (a chain of large MatMul weights) is written with our own encoder into a temp
// folder. src/core/onnx is bundled on the fly with esbuild so no prior build is needed; the
// bundle lives under node_modules/.cache so that protobufjs resolves from the repository.
// With --max-ms the script exits 1 when the median run is slower.
import { bundleSources } from './bundle-src.mjs';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    mb: { type: 'string', default: '100' },
    'max-ms': { type: 'string' },
  },
});
const runs = Math.max(1, Number(args.runs));
const targetBytes = Number(args.mb) * 1024 * 1024;

const bundle = await bundleSources('inspect-bench', [
  "export { inspectModel } from './src/core/onnx/inspect';",
  "export { writeModel } from './src/core/onnx/write';",
  "export { makeTensor } from './src/core/onnx/tensor';",
  "export { DataType } from './src/core/onnx/codec';",
]);
const { inspectModel, writeModel, makeTensor, DataType } = await import(pathToFileURL(bundle).href);

const dir = mkdtempSync(join(tmpdir(), 'inferscope-bench-'));
try {
  // Square-ish layers alternating [w, h] and [h, w] so the MatMuls chain.
  const width = 2048;
  const height = 3072;
  const layerBytes = width * height * 4;
  const layers = Math.max(1, Math.round(targetBytes / layerBytes));
  const initializers = [];
  const nodes = [];
  let current = 'x';
  for (let i = 0; i < layers; i++) {
    const dims = i % 2 === 0 ? [width, height] : [height, width];
    const values = new Float32Array(dims[0] * dims[1]);
    for (let k = 0; k < values.length; k += 997) values[k] = (k % 7) * 0.01;
    initializers.push(makeTensor(`w${i}`, DataType.FLOAT, dims, values));
    const out = i === layers - 1 ? 'y' : `h${i}`;
    nodes.push({ op_type: 'MatMul', name: `matmul_${i}`, input: [current, `w${i}`], output: [out] });
    current = out;
  }
  const lastWidth = layers % 2 === 0 ? width : height;
  const tensor = (name, dims) => ({
    name,
    type: {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  });
  const model = {
    ir_version: 8,
    producer_name: 'inferscope-bench',
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'bench',
      node: nodes,
      initializer: initializers,
      input: [tensor('x', ['batch', width])],
      output: [tensor('y', ['batch', lastWidth])],
    },
  };
  const path = join(dir, 'bench.onnx');
  const writeStart = performance.now();
  await writeModel(path, model);
  const size = statSync(path).size;
  console.log(
    `model: ${layers} MatMul layers, ${(size / 1024 / 1024).toFixed(1)} MiB, written in ${(performance.now() - writeStart).toFixed(0)} ms`,
  );

  const times = [];
  let info;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    info = await inspectModel(path);
    times.push(performance.now() - start);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`inspect runs (ms): ${times.map((t) => t.toFixed(1)).join(', ')}`);
  console.log(`median ${median.toFixed(1)} ms, best ${sorted[0].toFixed(1)} ms`);
  console.log(
    `parameters ${info.parameters.total.toLocaleString('en-US')}, MACs ${info.macs?.toLocaleString('en-US') ?? 'unknown'}, ` +
      `precision ${info.precision}`,
  );
  const maxMs = args['max-ms'] === undefined ? undefined : Number(args['max-ms']);
  if (maxMs !== undefined && median > maxMs) {
    console.error(`median ${median.toFixed(1)} ms exceeds --max-ms ${maxMs}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
