/**
 * The corpus's steps through the built CLI (`node bin/inferscope.js`), as a person runs them:
 * inspect, bench and quantize with the model's realistic inputs. Each step ends in an outcome —
 * ok with its key figure, or the error code and message — that scripts/corpus-check.mjs prints
 * and test/corpus/corpus.test.ts asserts on.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dimArgs, type CorpusInputFolders } from './inputs';

export { writeCorpusInputs } from './inputs';

export const CORPUS_STEPS = ['inspect', 'bench', 'int8-dynamic', 'fp16', 'int8-static'] as const;
export type CorpusStep = (typeof CORPUS_STEPS)[number];

export interface StepOutcome {
  step: CorpusStep;
  ok: boolean;
  /** The CLI's error code on failure; TIMEOUT when it ran past the limit, UNCODED when it died without one. */
  code: string | null;
  /** The key figure on success, the error message on failure. */
  text: string;
  ms: number;
}

export interface StepContext {
  repoRoot: string;
  model: string;
  folders: CorpusInputFolders;
  /** Where this model's --json files go. */
  scratch: string;
  /** INFERSCOPE_HOME, XDG_CACHE_HOME and the like: runs and variants stay out of the user's data folder. */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** bench --min-time / --max-time. */
  benchTime?: { min: string; max: string };
}

function stepArgs(step: CorpusStep, ctx: StepContext, json: string): string[] {
  const dims = dimArgs(ctx.folders.dims);
  if (step === 'inspect') return ['inspect', ctx.model, ...dims, '--json'];
  if (step === 'bench') {
    const time = ctx.benchTime ?? { min: '0.5s', max: '2s' };
    return ['bench', ctx.model, '--ep', 'cpu', '--min-time', time.min, '--max-time', time.max, '--no-profile'].concat([
      '--inputs',
      ctx.folders.benchDir,
      ...dims,
      '--json',
      json,
    ]);
  }
  // The calibration folder's last sets are the held-out evaluation data for every mode.
  return ['quantize', ctx.model, '--mode', step, '--calibration', ctx.folders.calibrationDir, ...dims, '--json', json];
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runCli(args: string[], ctx: StepContext): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ctx.repoRoot, 'bin/inferscope.js'), ...args], {
      cwd: ctx.repoRoot,
      env: ctx.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ctx.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

const bytes = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`);
const si = (n: number): string => {
  const [value, unit] = n >= 1e9 ? [n / 1e9, 'G'] : n >= 1e6 ? [n / 1e6, 'M'] : n >= 1e3 ? [n / 1e3, 'k'] : [n, ''];
  return `${value.toPrecision(3)} ${unit}`.trim();
};
const ms = (value: number): string => (value < 1 ? `${(value * 1000).toFixed(1)} µs` : `${value.toPrecision(3)} ms`);

interface InspectJson {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  inputs: { name: string; type: string; shape: (number | string)[] }[];
  macs: number | null;
  macsReason?: string | null;
}

function inspectFigure(info: InspectJson): string {
  const onnx = info.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  const inputs = info.inputs.map((i) => `${i.name}:${i.type}[${i.shape.join(',')}]`).join(' ');
  const macs = info.macs === null ? `MACs unknown (${info.macsReason ?? 'no reason given'})` : `MACs ${si(info.macs)}`;
  return `IR ${info.irVersion}, opset ${onnx?.version ?? '?'}, ${macs}; inputs ${inputs}`;
}

interface BenchJson {
  configs: {
    id: string;
    status: string;
    error: { code: string; message: string } | null;
    latencyMs: { median: number; p95: number } | null;
  }[];
  error?: { code: string; message: string } | null;
}

interface QuantizeJson {
  sizeBytes: { before: number; after: number };
  nodesQuantized: number;
  quality: { name: string; sqnrDb: number | null; cosine: number | null; nanCount?: number }[];
}

function quantizeFigure(report: QuantizeJson): string {
  const sqnr = Math.min(...report.quality.map((q) => q.sqnrDb ?? Number.NaN));
  const cosine = Math.min(...report.quality.map((q) => q.cosine ?? Number.NaN));
  const nan = report.quality.some((q) => (q.nanCount ?? 0) > 0) ? ', NaN in outputs' : '';
  return (
    `${bytes(report.sizeBytes.before)} → ${bytes(report.sizeBytes.after)}, ${report.nodesQuantized} nodes, ` +
    `worst SQNR ${sqnr.toFixed(1)} dB, cosine ${cosine.toFixed(4)}${nan}`
  );
}

function failure(step: CorpusStep, exit: Exit, started: number): StepOutcome {
  const elapsed = Date.now() - started;
  if (exit.timedOut) return { step, ok: false, code: 'TIMEOUT', text: 'ran past the time limit and was killed', ms: elapsed };
  const coded = /^inferscope: ([A-Z][A-Z0-9_]*): (.*)$/m.exec(exit.stderr);
  if (coded) return { step, ok: false, code: coded[1]!, text: coded[2]!, ms: elapsed };
  const last = exit.stderr.trim().split('\n').slice(-3).join(' | ') || `exit code ${exit.code}`;
  return { step, ok: false, code: 'UNCODED', text: last, ms: elapsed };
}

/** Runs one step through the CLI; never throws for the CLI's own failures. */
export async function runStep(step: CorpusStep, ctx: StepContext): Promise<StepOutcome> {
  const json = path.join(ctx.scratch, `${step}.json`);
  const started = Date.now();
  const exit = await runCli(stepArgs(step, ctx, json), ctx);
  if (exit.code !== 0 || exit.timedOut) return failure(step, exit, started);
  const elapsed = Date.now() - started;
  try {
    if (step === 'inspect') return { step, ok: true, code: null, text: inspectFigure(JSON.parse(exit.stdout) as InspectJson), ms: elapsed };
    if (!existsSync(json)) return { step, ok: false, code: 'UNCODED', text: `exit 0 but no ${path.basename(json)}`, ms: elapsed };
    if (step === 'bench') {
      const run = JSON.parse(readFileSync(json, 'utf8')) as BenchJson;
      const bad = run.configs.find((c) => c.status !== 'done' || !c.latencyMs);
      const error = bad?.error ?? run.error;
      if (bad || error)
        return { step, ok: false, code: error?.code ?? 'UNCODED', text: error?.message ?? `${bad?.id}: ${bad?.status}`, ms: elapsed };
      const latency = run.configs[0]?.latencyMs;
      return {
        step,
        ok: true,
        code: null,
        text: latency ? `median ${ms(latency.median)}, p95 ${ms(latency.p95)}` : 'no configs',
        ms: elapsed,
      };
    }
    return { step, ok: true, code: null, text: quantizeFigure(JSON.parse(readFileSync(json, 'utf8')) as QuantizeJson), ms: elapsed };
  } catch (error) {
    return { step, ok: false, code: 'UNCODED', text: `unreadable output: ${(error as Error).message}`, ms: elapsed };
  }
}
