#!/usr/bin/env node
// `npm run bench:repeatability`: are Inferscope's comparisons honest on this machine?
//
//   1. identical pairs: the same command run twice, one after the other, compared with `inferscope compare`;
//      every pair should say "no measurable difference" (the target: at least 19 of 20);
//   2. an injected slowdown: the second run of each pair made 5 % slower inside the timed call (a test hook);
//      it should be found;
//   3. threads 1 against 2 on vgg-small in one run: a real difference, which should be found.
//
// It runs the built CLI (npm run build first) in a scratch data folder and prints one line per pair and the
// figures at the end. Options: --pairs N (default 20), --injected N (default 5), --model sample:NAME (default
// sample:mlp) for the identical pairs, --injected-model sample:NAME (default sample:vgg-small, a larger
// model), --injected-repetitions N (default 10: on a machine whose processes differ by a few per cent, three
// repetitions a side cannot resolve 5 %), --max-time 3s, --skip-threads. A quiet machine gives the figures
// that mean something.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'bin', 'inferscope.js');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const pairs = Number(option('pairs', '20'));
const injected = Number(option('injected', '5'));
const model = option('model', 'sample:mlp');
const injectedModel = option('injected-model', 'sample:vgg-small');
const injectedRepetitions = option('injected-repetitions', '10');
const maxTime = option('max-time', '3s');
const skipThreads = process.argv.includes('--skip-threads');
const home = mkdtempSync(path.join(os.tmpdir(), 'inferscope-repeatability-'));

function inferscope(args, env = {}) {
  return execFileSync(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...process.env, INFERSCOPE_HOME: home, ...env },
    encoding: 'utf8',
    maxBuffer: 512 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** One run of `model` on the CPU at one thread; its id and the config's median, CI and repetitions. */
function bench(extra = [], env = {}, name = model) {
  const doc = JSON.parse(inferscope(['bench', name, '--ep', 'cpu', '--threads', '1', '--max-time', maxTime, '--json', '-', ...extra], env));
  const c = doc.configs[0];
  return { id: doc.id, median: c.latencyMs?.median ?? NaN, reps: c.uncertainty?.repetitions ?? 1 };
}

/** `inferscope compare A B --json`: the statement and verdict of B against A. */
function compare(refs) {
  const [comparison] = JSON.parse(inferscope(['compare', ...refs, '--json']));
  const entry = comparison.entries[1];
  return { verdict: entry.vsBaseline?.verdict ?? 'none', ratio: entry.vsBaseline?.ratio ?? NaN, statement: entry.statement };
}

const ms = (x) => (x < 1 ? `${(x * 1000).toFixed(1)} µs` : `${x.toFixed(3)} ms`);
const started = Date.now();
console.log(`Data in ${home}; ${os.cpus().length} logical CPUs, load average ${os.loadavg()[0].toFixed(2)}.`);

try {
  if (pairs > 0) {
    console.log(`\n1. Identical pairs: ${model} --ep cpu --threads 1 --max-time ${maxTime}, run twice, ${pairs} pairs`);
    let same = 0;
    const ratios = [];
    for (let i = 1; i <= pairs; i++) {
      const a = bench();
      const b = bench();
      const c = compare([a.id, b.id]);
      if (c.verdict === 'no-measurable-difference') same++;
      ratios.push(c.ratio);
      console.log(`  pair ${String(i).padStart(2)}: ${ms(a.median)} vs ${ms(b.median)} (R = ${a.reps}, ${b.reps}) → ${c.statement}`);
    }
    const spread = (Math.max(...ratios) / Math.min(...ratios) - 1) * 100;
    console.log(
      `  → ${same} of ${pairs} pairs: no measurable difference ` +
        `(ratios ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}, ${spread.toFixed(1)} % apart)`,
    );
  }

  console.log(
    `\n2. Injected slowdown on ${injectedModel} (${injectedRepetitions} repetitions a run): the second run of each pair 5 % ` +
      `slower inside the timed call, ${injected} pairs`,
  );
  let found = 0;
  for (let i = 1; i <= injected; i++) {
    const reps = ['--repetitions', injectedRepetitions];
    const a = bench(reps, {}, injectedModel);
    const b = bench([...reps, '--ep-option', 'cpu:inferscope.testSlowdown=0.05'], { INFERSCOPE_TEST_HOOKS: '1' }, injectedModel);
    const c = compare([a.id, b.id]);
    if (c.verdict === 'slower') found++;
    console.log(`  pair ${i}: ${ms(a.median)} vs ${ms(b.median)} → ${c.statement}`);
  }
  console.log(`  → found in ${found} of ${injected} pairs`);

  if (!skipThreads) {
    console.log('\n3. Threads 1 against 2 on sample:vgg-small, one run');
    const doc = JSON.parse(
      inferscope(['bench', 'sample:vgg-small', '--ep', 'cpu', '--threads', '1,2', '--max-time', maxTime, '--json', '-']),
    );
    const c = compare([`${doc.id}#cpu/b1/t1/c1`, `${doc.id}#cpu/b1/t2/c1`]);
    console.log(`  threads 2 against threads 1: ${c.statement}`);
  }
  console.log(`\nDone in ${((Date.now() - started) / 60000).toFixed(1)} min.`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
