// `npm run quality:check`: checks Inferscope's quality figures with code of its own. For each model of
// the real-model corpus (scripts/corpus.mjs) and each code-built one (test/corpus/fixtures.ts), it
// writes realistic inputs (test/corpus/inputs.ts), makes variants through the built CLI
// (`node bin/inferscope.js quantize MODEL --mode M --calibration DIR --json FILE`), then runs the
// original and the variant in onnxruntime-node on the same held-out inputs Inferscope compared on
// and on fresh ones it never saw, and computes per output the cosine similarity and SQNR itself. It
// prints one table: model, mode, output, Inferscope's cosine and SQNR, the independent ones, the
// difference, and the cosine on the fresh inputs. An output with NaN or Inf where the original is
// finite is broken: there both must say so, and its figures (here over the finite values) are not compared.
//
//   node scripts/quality-check.mjs [ids…] [--modes int8-dynamic,int8-static,fp16] [--sets 20] [--fresh 8]
//   node scripts/quality-check.mjs --model m.onnx --variant v.onnx --inputs DIR [--report report.json]
//
// The second form checks one variant: DIR holds input sets (sub-folders of .npy files named after the
// inputs, or .npy files of a one-input model), --report the `quantize --json` report (or a
// variant.json) whose figures are shown beside (they match only when DIR holds the sets Inferscope
// compared on). Needs `npm run build` (and `npm run corpus:fetch` for the corpus). For the corpus,
// exit 1 when an independent figure differs from Inferscope's by more than the tolerance
// (--tolerance, cosine 1e-4; SQNR 0.05 dB), or a step failed without an error code.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { corpusDir, corpusModels, isCached, modelFile } from './corpus.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const STEP_TIMEOUT_MS = 300_000;
const SQNR_TOLERANCE_DB = 0.05;
/** Held out of calibration by Inferscope: the last ⌈20 %⌉ of a folder (src/core/quantize/data.ts). */
const HOLD_OUT_SHARE = 0.2;
const UNEXPECTED = new Set(['INTERNAL', 'UNCODED', 'TIMEOUT']);

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    modes: { type: 'string', default: 'int8-dynamic,int8-static,fp16' },
    sets: { type: 'string', default: '20' },
    fresh: { type: 'string', default: '8' },
    tolerance: { type: 'string', default: '1e-4' },
    model: { type: 'string' },
    variant: { type: 'string' },
    inputs: { type: 'string' },
    report: { type: 'string' },
  },
});
const ort = await import('onnxruntime-node');

// ---- tensors

const NPY_TYPES = {
  '<f4': ['float32', Float32Array],
  '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array],
  '<i4': ['int32', Int32Array],
  '<u8': ['uint64', BigUint64Array],
  '|u1': ['uint8', Uint8Array],
  '|i1': ['int8', Int8Array],
  '|b1': ['bool', Uint8Array],
  '<f2': ['float16', Uint16Array],
};

/** A NumPy .npy file (format 1, 2 or 3, C order) as an onnxruntime tensor. */
function readNpy(file) {
  const bytes = readFileSync(file);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = bytes[6];
  const start = major === 1 ? 10 : 12;
  const length = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const header = bytes.toString('latin1', start, start + length);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not read here`);
  const type = NPY_TYPES[descr];
  if (!type) throw new Error(`${file}: dtype ${descr} is not read here`);
  const dims = shape
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map(Number);
  const raw = new Uint8Array(bytes.subarray(start + length));
  const [name, TypedArray] = type;
  const data = new TypedArray(raw.buffer, 0, raw.byteLength / TypedArray.BYTES_PER_ELEMENT);
  return new ort.Tensor(name, name === 'bool' ? Uint8Array.from(data, (v) => (v ? 1 : 0)) : data, dims);
}

/** One input set per sub-folder (files named after the inputs), or one .npy per set for a one-input model. */
function readSets(dir, inputNames) {
  const entries = readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const folders = entries.filter((name) => statSync(path.join(dir, name)).isDirectory());
  if (folders.length === 0) {
    if (inputNames.length !== 1) throw new Error(`${dir}: the model has ${inputNames.length} inputs; give one sub-folder per set`);
    return entries.filter((n) => n.endsWith('.npy')).map((n) => ({ name: n, feeds: { [inputNames[0]]: readNpy(path.join(dir, n)) } }));
  }
  return folders.map((folder) => {
    const feeds = {};
    for (const file of readdirSync(path.join(dir, folder)).filter((n) => n.endsWith('.npy'))) {
      const stem = file.slice(0, -4);
      const index = /^input_(\d+)$/.exec(stem);
      const name = inputNames.includes(stem) ? stem : index ? inputNames[Number(index[1])] : undefined;
      if (name) feeds[name] = readNpy(path.join(dir, folder, file));
    }
    return { name: folder, feeds };
  });
}

function halfToFloat(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function numbers(tensor) {
  if (tensor.type === 'float16' && !(tensor.data instanceof Float32Array)) return Array.from(tensor.data, (b) => halfToFloat(Number(b)));
  return Array.from(tensor.data, Number);
}

// ---- the figures, computed here

/** Sums per output over all sets, in float64: finite pairs only, as the documented definition says. */
function accumulate(sums, name, reference, candidate) {
  const x = numbers(reference);
  const y = numbers(candidate);
  if (x.length !== y.length) throw new Error(`output ${name}: ${x.length} values from the original, ${y.length} from the variant`);
  const s = sums.get(name) ?? { dot: 0, xx: 0, yy: 0, noise: 0, nonFinite: 0, count: 0 };
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      // The variant's NaN or Inf where the original is finite: the output is broken whatever the sums say.
      if (Number.isFinite(x[i])) s.nonFinite++;
      continue;
    }
    s.dot += x[i] * y[i];
    s.xx += x[i] * x[i];
    s.yy += y[i] * y[i];
    s.noise += (x[i] - y[i]) ** 2;
    s.count++;
  }
  sums.set(name, s);
}

function figures(s) {
  const cosine = s.xx === 0 && s.yy === 0 ? 1 : s.xx === 0 || s.yy === 0 ? 0 : s.dot / Math.sqrt(s.xx * s.yy);
  const sqnrDb = s.noise === 0 || s.xx === 0 ? null : 10 * Math.log10(s.xx / s.noise);
  return { cosine, sqnrDb, nonFinite: s.nonFinite };
}

/** Runs both models on every set, one session at a time, and returns the figures per output. */
async function compare(originalPath, variantPath, sets) {
  const options = { logSeverityLevel: 3, graphOptimizationLevel: 'all' };
  const original = await ort.InferenceSession.create(originalPath, options);
  const references = [];
  try {
    for (const set of sets) references.push(await original.run(pick(set.feeds, original.inputNames)));
  } finally {
    await original.release();
  }
  const variant = await ort.InferenceSession.create(variantPath, options);
  const sums = new Map();
  try {
    for (const [index, set] of sets.entries()) {
      const outputs = await variant.run(pick(set.feeds, variant.inputNames));
      for (const [name, candidate] of Object.entries(outputs)) {
        const reference = references[index][name];
        if (reference && typeof reference.data[0] !== 'string') accumulate(sums, name, reference, candidate);
      }
    }
  } finally {
    await variant.release();
  }
  return new Map([...sums].map(([name, s]) => [name, figures(s)]));
}

function pick(feeds, names) {
  const missing = names.filter((n) => !feeds[n]);
  if (missing.length > 0) throw new Error(`no data for input ${missing.join(', ')}`);
  return Object.fromEntries(names.map((n) => [n, feeds[n]]));
}

// ---- output

const fixed = (v, digits) => (v === null || v === undefined ? '—' : Number.isFinite(v) ? v.toFixed(digits) : String(v));

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]].length)));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

const HEADER = ['model', 'mode', 'output', 'data', 'cosine (Inferscope)', 'cosine (here)', 'Δ cosine', 'SQNR (Inferscope)', 'SQNR (here)'];

/** Table rows of one variant, and whether Inferscope's figures and the independent ones disagree. */
function rowsOf(model, mode, data, reported, independent, fresh, tolerance) {
  let disagree = false;
  const rows = [...independent].map(([name, here]) => {
    const theirs = reported.find((q) => q.name === name);
    // A broken output (NaN or Inf where the original is finite) has no figures to compare: both must call it broken.
    const broken = here.nonFinite > 0;
    const theyFlag = theirs ? theirs.nanCount + theirs.infCount > 0 : false;
    const delta = theirs && !broken ? Math.abs(theirs.cosine - here.cosine) : null;
    const sqnrDelta = theirs && !broken && theirs.sqnrDb !== null && here.sqnrDb !== null ? Math.abs(theirs.sqnrDb - here.sqnrDb) : 0;
    const sqnrMissing = theirs && !broken && (theirs.sqnrDb === null) !== (here.sqnrDb === null);
    if (!theirs || broken !== theyFlag || delta > tolerance || sqnrDelta > SQNR_TOLERANCE_DB || sqnrMissing) disagree = true;
    const extra = fresh ? [fixed(fresh.get(name)?.cosine, 5) + (fresh.get(name)?.nonFinite > 0 ? ' (NaN/Inf)' : '')] : [];
    return [
      model,
      mode,
      name + (broken ? ` (${here.nonFinite} NaN/Inf)` : ''),
      data,
      fixed(theirs?.cosine, 6),
      broken ? `${fixed(here.cosine, 6)} finite` : fixed(here.cosine, 6),
      broken ? (theyFlag ? 'both broken' : 'not flagged') : delta === null ? '—' : delta.toExponential(1),
      theirs?.sqnrDb === null || theirs === undefined ? '—' : `${fixed(theirs.sqnrDb, 2)} dB`,
      here.sqnrDb === null ? '—' : `${fixed(here.sqnrDb, 2)} dB`,
      ...extra,
    ];
  });
  return { rows, disagree };
}

// ---- one variant

async function checkOne(tolerance) {
  if (!args.model || !args.variant || !args.inputs) {
    console.error('quality-check: --model, --variant and --inputs go together (see the top of scripts/quality-check.mjs).');
    return 1;
  }
  const session = await ort.InferenceSession.create(args.model, { logSeverityLevel: 3 });
  const inputNames = session.inputNames;
  await session.release();
  const sets = readSets(args.inputs, inputNames);
  const report = args.report ? JSON.parse(readFileSync(args.report, 'utf8')) : {};
  const reported = report.quality ?? report.report?.quality ?? [];
  const independent = await compare(args.model, args.variant, sets);
  const label = report.mode ?? path.basename(args.variant);
  const { rows, disagree } = rowsOf(path.basename(args.model), label, `${sets.length} sets`, reported, independent, null, tolerance);
  console.log(table(HEADER, rows));
  if (args.report && disagree) {
    console.log(`\nThe figures differ by more than ${tolerance}: the same when ${args.inputs} holds the sets Inferscope compared on.`);
  }
  return 0;
}

// ---- the corpus

/** test/corpus's inputs and fixtures bundled for Node, as scripts/corpus-check.mjs loads them. */
async function loadCorpusCode(scratch) {
  const file = path.join(scratch, 'corpus-inputs.mjs');
  const result = await build({
    absWorkingDir: root,
    stdin: {
      contents:
        "export { writeCorpusInputs, dimArgs } from './test/corpus/inputs';\n" +
        "export { CORPUS_FIXTURES, writeFixtureModel } from './test/corpus/fixtures';\n",
      resolveDir: root,
      loader: 'ts',
    },
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

function runCli(argv, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/inferscope.js'), ...argv], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d.toString()));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, stderr, timedOut: signal === 'SIGKILL' });
    });
  });
}

/** The CLI's coded failure, or UNCODED / TIMEOUT. */
function failureOf(exit) {
  if (exit.timedOut) return { code: 'TIMEOUT', text: 'ran past the time limit' };
  const coded = /^inferscope: ([A-Z][A-Z0-9_]*): (.*)$/m.exec(exit.stderr);
  if (coded) return { code: coded[1], text: coded[2] };
  return { code: 'UNCODED', text: exit.stderr.trim().split('\n').slice(-2).join(' | ') || `exit code ${exit.code}` };
}

async function checkModel(model, corpus, scratch, env, options) {
  const dir = path.join(scratch, model.id);
  const file = model.fixture ? corpus.writeFixtureModel(model.fixture, dir) : modelFile(model.id);
  // The folder Inferscope calibrates and evaluates on, and fresh sets after it that it never sees.
  const folders = corpus.writeCorpusInputs(model.id, path.join(dir, 'inputs'), options.sets);
  const all = corpus.writeCorpusInputs(model.id, path.join(dir, 'all'), options.sets + options.fresh);
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  const inputNames = session.inputNames;
  await session.release();
  const sets = readSets(folders.calibrationDir, inputNames);
  const held = Math.max(1, Math.ceil(sets.length * HOLD_OUT_SHARE));
  const heldOut = sets.slice(sets.length - held);
  const fresh = readSets(all.calibrationDir, inputNames).slice(options.sets);
  const rows = [];
  let bad = 0;
  for (const mode of options.modes) {
    process.stderr.write(`quality-check: ${model.id} ${mode}…\n`);
    const json = path.join(dir, `${mode}.json`);
    // As many evaluation samples as are held out: every mode is then compared on exactly those sets.
    const argv = ['quantize', file, '--mode', mode, '--calibration', folders.calibrationDir, '--evaluation-samples', String(held)];
    const exit = await runCli([...argv, ...corpus.dimArgs(folders.dims), '--json', json], env);
    if (exit.code !== 0 || !existsSync(json)) {
      const failure = failureOf(exit);
      if (UNEXPECTED.has(failure.code)) bad++;
      const text = `${failure.code}: ${failure.text}`;
      rows.push([model.id, mode, text.length > 72 ? `${text.slice(0, 71)}…` : text, '', '', '', '', '', '', '']);
      continue;
    }
    const report = JSON.parse(readFileSync(json, 'utf8'));
    const independent = await compare(file, report.path, heldOut);
    const freshFigures = fresh.length > 0 ? await compare(file, report.path, fresh) : null;
    const data = `${report.evaluation.samples} ${report.evaluation.source}`;
    // The mode with the variant's verdict, as the CLI's first line gives it.
    const label = report.verdict ? `${mode} → ${report.verdict}` : mode;
    const checked = rowsOf(model.id, label, data, report.quality, independent, freshFigures, options.tolerance);
    if (checked.disagree) bad++;
    rows.push(...checked.rows);
  }
  return { rows, bad };
}

async function checkCorpus(tolerance) {
  if (!existsSync(path.join(root, 'out/node/cli.js')) || !existsSync(path.join(root, 'out/node/worker.js'))) {
    console.error('quality-check: the CLI is not built; run `npm run build` first.');
    return 1;
  }
  const options = { modes: args.modes.split(',').map((m) => m.trim()), sets: Number(args.sets), fresh: Number(args.fresh), tolerance };
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'inferscope-quality-check-'));
  const env = { ...process.env, INFERSCOPE_HOME: path.join(scratch, 'home'), XDG_CACHE_HOME: path.join(scratch, 'xdg-cache') };
  const rows = [];
  let bad = 0;
  try {
    const corpus = await loadCorpusCode(scratch);
    const models = [
      ...corpusModels().map((m) => ({ id: m.id, fetched: m })),
      ...corpus.CORPUS_FIXTURES.map((f) => ({ id: f.id, fixture: f })),
    ];
    for (const model of models.filter((m) => positionals.length === 0 || positionals.includes(m.id))) {
      if (model.fetched && !isCached(model.fetched)) {
        rows.push([model.id, '—', `MISSING: not in ${corpusDir()} (npm run corpus:fetch)`, '', '', '', '', '', '', '']);
        bad++;
        continue;
      }
      const checked = await checkModel(model, corpus, scratch, env, options);
      rows.push(...checked.rows);
      bad += checked.bad;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(table([...HEADER, `cosine (${options.fresh} fresh sets)`], rows));
  console.log(
    `\nInferscope compared on the held-out ${Math.round(HOLD_OUT_SHARE * 100)} % of ${options.sets} realistic input sets; ` +
      `"here" is the same comparison computed by this script, "fresh" the same variants on sets neither saw.` +
      (bad > 0 ? `\n${bad} variant(s) disagree or failed without an error code.` : ''),
  );
  return bad > 0 ? 1 : 0;
}

const tolerance = Number(args.tolerance);
process.exitCode = args.model || args.variant || args.inputs ? await checkOne(tolerance) : await checkCorpus(tolerance);
