#!/usr/bin/env node
// Times a quantization job on a ~100 MB fp32 model and measures its peak memory
// (budget: under 10 s and under 3× the model size, on a 2-core machine).
//
//   node scripts/bench-quantize.mjs [--mb 100] [--modes int8-dynamic,fp16] [--check] [--plain-env]
//
// --mb above 1536 writes the weights to external data (e.g. --mb 2200: a model past protobuf's
// 2 GiB, which only external data can hold).
// Children get the quantization worker's environment (QUANTIZE_WORKER_ENV: glibc's mmap
// threshold pinned); --plain-env runs them without it, to see what it is worth.
// The model is a chain of large MatMul weights (seeded normal values scaled 1/√K, so the
// outputs stay in a sane range and the quality figures mean something), written with our own
// encoder. Each mode runs the same job the worker runs (src/core/quantize/file.ts: original
// model on the evaluation inputs, read, transform, write, load the variant, compare outputs)
// in a fresh child process, so peak RSS is that job's alone: Node + onnxruntime + the job.
// src is bundled on the fly with esbuild (under node_modules/.cache so packages resolve).
// With --check the script exits 1 when a mode misses the budget.
import { bundlePath, bundleSources } from './bundle-src.mjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const self = fileURLToPath(import.meta.url);
const bundle = bundlePath('quantize-bench');

const { values: parsed } = parseArgs({
  options: {
    mb: { type: 'string', default: '100' },
    modes: { type: 'string', default: 'int8-dynamic,fp16' },
    check: { type: 'boolean', default: false },
    'plain-env': { type: 'boolean', default: false },
    // Default: 10 s per 100 MB (the budget is stated for a 100 MB model).
    'max-seconds': { type: 'string' },
    'max-rss-ratio': { type: 'string', default: '3' },
    // Internal: one job in this (child) process.
    child: { type: 'boolean', default: false },
    model: { type: 'string' },
    out: { type: 'string' },
    mode: { type: 'string' },
  },
});
const args = { ...parsed, 'max-seconds': parsed['max-seconds'] ?? String((10 * Number(parsed.mb)) / 100) };

/** Peak resident memory of this process, in bytes (VmHWM where /proc exists). */
function peakRss() {
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS * 1024;
}

if (args.child) {
  const { quantizeFile } = await import(pathToFileURL(bundle).href);
  const rssAtStart = peakRss();
  const started = performance.now();
  const result = await quantizeFile({
    modelPath: args.model,
    outputPath: args.out,
    options: { mode: args.mode },
    calibration: { kind: 'random', samples: 16, seed: 1 },
    evaluationSamples: 8,
  });
  const wallMs = performance.now() - started;
  const quality = result.report.quality[0];
  process.stdout.write(
    JSON.stringify({
      wallMs,
      rssAtStart,
      peakRss: peakRss(),
      sizeAfter: result.sizeBytes,
      sqnrDb: quality?.sqnrDb ?? null,
      cosine: quality?.cosine ?? null,
    }) + '\n',
  );
  process.exit(0);
}

await bundleSources('quantize-bench', [
  "export { quantizeFile } from './src/core/quantize/file';",
  "export { writeModel } from './src/core/onnx/write';",
  "export { makeTensor } from './src/core/onnx/tensor';",
  "export { DataType } from './src/core/onnx/codec';",
  "export { createRng } from './src/shared/stats/random';",
  "export { QUANTIZE_WORKER_ENV } from './src/core/quantize/job';",
]);
const { writeModel, makeTensor, DataType, createRng, QUANTIZE_WORKER_ENV } = await import(pathToFileURL(bundle).href);

function runChild(model, out, mode) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [self, '--child', '--model', model, '--out', out, '--mode', mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // The environment a quantization worker gets (src/core/quantize/job.ts), unless --plain-env.
      env: { ...process.env, ...(args['plain-env'] ? {} : QUANTIZE_WORKER_ENV), XDG_CACHE_HOME: join(dirname(model), 'cache') },
    });
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${mode}: the job exited with code ${code}`));
      resolvePromise({ ...JSON.parse(text.trim().split('\n').at(-1)), processMs: performance.now() - started });
    });
  });
}

/** Models above this are written with external data. */
const EXTERNAL_ABOVE_BYTES = 1536 * 1024 * 1024;
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const dir = mkdtempSync(join(tmpdir(), 'inferscope-bench-quantize-'));
let failed = false;
try {
  const targetBytes = Number(args.mb) * 1024 * 1024;
  const width = 2048;
  const height = 3072;
  const layers = Math.max(1, Math.round(targetBytes / (width * height * 4)));
  const rng = createRng(7);
  const initializers = [];
  const nodes = [];
  let current = 'x';
  for (let i = 0; i < layers; i++) {
    const [k, n] = i % 2 === 0 ? [width, height] : [height, width];
    const values = new Float32Array(k * n);
    const scale = 1 / Math.sqrt(k);
    for (let j = 0; j < values.length; j++) values[j] = rng.normal() * scale;
    initializers.push(makeTensor(`w${i}`, DataType.FLOAT, [k, n], values));
    const out = i === layers - 1 ? 'y' : `h${i}`;
    nodes.push({ op_type: 'MatMul', name: `matmul_${i}`, input: [current, `w${i}`], output: [out] });
    current = out;
  }
  const last = layers % 2 === 0 ? width : height;
  const info = (name, size) => ({
    name,
    type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'batch' }, { dim_value: size }] } } },
  });
  const model = {
    ir_version: 8,
    producer_name: 'inferscope-bench',
    opset_import: [{ domain: '', version: 17 }],
    graph: { name: 'bench', node: nodes, initializer: initializers, input: [info('x', width)], output: [info('y', last)] },
  };
  const modelPath = join(dir, 'big.onnx');
  // Past protobuf's 2 GiB an .onnx file cannot hold the weights: they go to external data, as exporters do.
  const external = targetBytes > EXTERNAL_ABOVE_BYTES;
  await writeModel(modelPath, model, external ? { externalDataThresholdBytes: 1024, externalDataLocation: 'big.onnx.data' } : {});
  initializers.length = 0;
  const modelBytes = statSync(modelPath).size + (external ? statSync(join(dir, 'big.onnx.data')).size : 0);
  console.log(`model: ${layers} MatMul layers, ${mib(modelBytes)}${external ? ', weights in external data' : ''} (${modelPath})`);
  console.log(
    `budget: < ${args['max-seconds']} s and peak RSS < ${args['max-rss-ratio']}× the model ` +
      `(${mib(modelBytes * Number(args['max-rss-ratio']))})\n`,
  );

  const header = ['mode', 'job wall', 'process wall', 'peak RSS', 'RSS / model', 'RSS at start', 'variant', 'SQNR', 'cosine', 'verdict'];
  const rows = [];
  for (const mode of args.modes
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)) {
    const r = await runChild(modelPath, join(dir, `${mode}.onnx`), mode);
    const ratio = r.peakRss / modelBytes;
    const ok = r.wallMs / 1000 < Number(args['max-seconds']) && ratio < Number(args['max-rss-ratio']);
    if (!ok) failed = true;
    rows.push([
      mode,
      `${(r.wallMs / 1000).toFixed(2)} s`,
      `${(r.processMs / 1000).toFixed(2)} s`,
      mib(r.peakRss),
      `${ratio.toFixed(2)}×`,
      mib(r.rssAtStart),
      mib(r.sizeAfter),
      r.sqnrDb === null ? '—' : `${r.sqnrDb.toFixed(1)} dB`,
      r.cosine === null ? '—' : r.cosine.toFixed(5),
      ok ? 'ok' : 'OVER BUDGET',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log(
    "\nJob wall: the worker's job (original on evaluation inputs, read, transform, write, verify, compare). Peak RSS: the child " +
      'process (Node + onnxruntime + job), VmHWM.',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (args.check && failed) process.exit(1);
