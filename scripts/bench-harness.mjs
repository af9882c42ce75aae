#!/usr/bin/env node
// Does Inferscope's measuring loop cost anything? Compares its median with the median of a bare
// loop of awaited session.run — same session, same inputs, same threads — for a tiny model and
// for a sample of ≥ 100 MFLOP, and prints the ratio (target: within 1 %).
//
//   npm run bench:harness [-- --rounds 4 --seconds 2]
//
// The two loops alternate (bare, Inferscope, bare, …) so drift on a shared machine hits both alike.
// The worker's own loop (src/worker/measure.ts measureSamples) is bundled on the fly with esbuild.
import { bundleSources } from './bundle-src.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '4' }, seconds: { type: 'string', default: '2' } },
});
const rounds = Math.max(1, Number(args.rounds));
const seconds = Math.max(0.2, Number(args.seconds));

const bundle = await bundleSources('harness', [
  "export { measureSamples } from './src/worker/measure';",
  "export { ProgressThrottle, RssPeak, runBackToBack } from './src/worker/loop';",
  "export { RunWatch } from './src/worker/watch';",
  "export { benchFeeds } from './src/worker/feeds';",
  "export { ensureSample } from './src/core/zoo';",
  "export { computeStatistics } from './src/shared/stats';",
]);
const h = await import(pathToFileURL(bundle).href);
const ort = await import('onnxruntime-node');

const median = (xs) => h.computeStatistics(xs).median;

async function bareLoop(session, feeds, ms) {
  const samples = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

async function inferscopeLoop(session, feeds, ms) {
  // The stop rule runs to the time cap: an unreachable CI target keeps it measuring like the bare loop.
  const config = { minIterations: 1, minTimeMs: ms, maxTimeMs: ms, ciTargetRel: 1e-9 };
  const { measurement } = await h.measureSamples(session, feeds, config, {
    rss: new h.RssPeak(),
    throttle: new h.ProgressThrottle(),
    signal: new AbortController().signal,
    // The worker posts progress to its host; here an equivalent structured clone stands in.
    progress: (value) => structuredClone(value),
    // What the worker's loop also does between runs: tell the heartbeat thread a run is not stuck.
    watch: new h.RunWatch(),
  });
  return measurement.samples;
}

const dir = mkdtempSync(join(tmpdir(), 'inferscope-harness-'));
try {
  console.log(`Harness overhead: ${rounds} alternating rounds of ${seconds} s per loop, intra-op threads = 1\n`);
  console.log('model          bare median   Inferscope median   ratio    per-round ratios');
  for (const name of ['mlp', 'vgg-small']) {
    const file = await h.ensureSample(name, dir);
    const session = await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    const { feeds } = h.benchFeeds(session, { seed: 0, dims: {}, defaultDim: 1, tensors: [] }, 1);
    await bareLoop(session, feeds, 1000); // warm-up for both
    const bare = [];
    const ours = [];
    const ratios = [];
    for (let r = 0; r < rounds; r++) {
      const b = await bareLoop(session, feeds, seconds * 1000);
      const o = await inferscopeLoop(session, feeds, seconds * 1000);
      bare.push(...b);
      ours.push(...o);
      ratios.push(median(o) / median(b));
    }
    const ratio = median(ours) / median(bare);
    const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);
    console.log(
      `${name.padEnd(13)}  ${fmt(median(bare)).padStart(11)}   ${fmt(median(ours)).padStart(17)}   ${ratio.toFixed(4)}   ` +
        `${ratios.map((x) => x.toFixed(3)).join(' ')}`,
    );
    await session.release();
  }
  console.log(
    "\nratio = Inferscope median / bare median over all rounds; target ≤ 1.01. The spread of per-round ratios is this machine's noise.",
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
