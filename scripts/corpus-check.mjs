// `npm run corpus:check`: every real-model corpus model (scripts/corpus.mjs) and every code-built
// one (test/corpus/fixtures.ts) through the built CLI — inspect, bench on the CPU with realistic
// inputs, quantize int8-dynamic / fp16 / int8-static / int8-static per-channel with those inputs as
// calibration and evaluation data, upgrade to IR 8 / opset 13 — and one table of what happened.
// Failures are printed with their code and message, never hidden: this is the before/after evidence
// for changes to inspection, benchmarking, upgrading and quantization. A refusal that is the right
// answer (upgrading a model that is already IR ≥ 4 / opset ≥ 13) reads "expected". Exit 1 when a
// step failed without an error code (INTERNAL, UNCODED, TIMEOUT), 0 otherwise. Needs `npm run build`
// and `npm run corpus:fetch` first. Optional arguments: model ids to check (default: all).
import { build } from 'esbuild';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { corpusDir, corpusModels, isCached, modelFile } from './corpus.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const STEP_TIMEOUT_MS = 300_000;
/** Failures that are bugs, not refusals: a coded error (MODEL_UNSUPPORTED, …) is an answer, these are not. */
const UNEXPECTED = new Set(['INTERNAL', 'UNCODED', 'TIMEOUT']);

/** test/corpus/steps.ts (and the inputs it imports) bundled for Node, as the tests run them. */
async function loadSteps(scratch) {
  const file = path.join(scratch, 'corpus-steps.mjs');
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['test/corpus/steps.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'warning',
  });
  writeFileSync(file, result.outputFiles[0].contents);
  return import(pathToFileURL(file).href);
}

function table(rows) {
  const header = ['model', 'step', 'outcome', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]].length)));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main() {
  if (!existsSync(path.join(root, 'out/node/cli.js')) || !existsSync(path.join(root, 'out/node/worker.js'))) {
    console.error('corpus-check: the CLI is not built; run `npm run build` first.');
    return 1;
  }
  const wanted = process.argv.slice(2);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'inferscope-corpus-check-'));
  const env = { ...process.env, INFERSCOPE_HOME: path.join(scratch, 'home'), XDG_CACHE_HOME: path.join(scratch, 'xdg-cache') };
  const rows = [];
  let unexpected = 0;
  try {
    const { CORPUS_FIXTURES, CORPUS_STEPS, runStep, writeCorpusInputs, writeFixtureModel } = await loadSteps(scratch);
    const models = [
      ...corpusModels().map((m) => ({ id: m.id, fetched: m })),
      ...CORPUS_FIXTURES.map((f) => ({ id: f.id, fixture: f })),
    ].filter((m) => wanted.length === 0 || wanted.includes(m.id));
    for (const model of models) {
      if (model.fetched && !isCached(model.fetched)) {
        rows.push([model.id, '—', `MISSING: not in ${corpusDir()} (run npm run corpus:fetch)`, '']);
        unexpected++;
        continue;
      }
      const dir = path.join(scratch, model.id);
      const file = model.fixture ? writeFixtureModel(model.fixture, dir) : modelFile(model.id);
      const folders = writeCorpusInputs(model.id, path.join(dir, 'inputs'));
      const ctx = { repoRoot: root, model: file, folders, scratch: dir, env, timeoutMs: STEP_TIMEOUT_MS };
      for (const step of CORPUS_STEPS) {
        process.stderr.write(`corpus-check: ${model.id} ${step}…\n`);
        const outcome = await runStep(step, ctx);
        if (step === 'inspect' && outcome.ok) ctx.legacy = outcome.legacy;
        if (!outcome.ok && UNEXPECTED.has(outcome.code)) unexpected++;
        const text = outcome.ok ? `ok: ${outcome.text}` : `${outcome.expected ? 'expected ' : ''}${outcome.code}: ${outcome.text}`;
        rows.push([model.id, step, text, `${(outcome.ms / 1000).toFixed(1)} s`]);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(table(rows));
  const expected = rows.filter((r) => r[2].startsWith('expected ')).length;
  const failed = rows.filter((r) => r[2] && !r[2].startsWith('ok:') && !r[2].startsWith('expected ')).length;
  console.log(
    `\n${rows.length} steps: ${rows.length - failed - expected} ok, ${expected} refused as expected, ${failed} failed ` +
      `(${unexpected} without an error code or missing)`,
  );
  return unexpected > 0 ? 1 : 0;
}

process.exitCode = await main();
