/**
 * The corpus's steps through the built CLI (`node bin/inferscope.js`), as a person runs them:
 * inspect, bench and quantize with the model's realistic inputs, and upgrade a legacy model
 * (IR < 4 or opset < 13) to IR 8 / opset 13. Each step ends in an outcome — ok with its key
 * figure, or the error code and message — that scripts/corpus-check.mjs prints and
 * test/corpus/corpus.test.ts asserts on.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dimArgs, type CorpusInputFolders } from './inputs';

export { CORPUS_FIXTURES, writeFixtureModel } from './fixtures';
export { writeCorpusInputs } from './inputs';

export const CORPUS_STEPS = ['inspect', 'bench', 'int8-dynamic', 'fp16', 'int8-static', 'upgrade', 'int8-static-pc'] as const;
export type CorpusStep = (typeof CORPUS_STEPS)[number];

/** The IR version and default-domain opset below which a model is legacy: `upgrade` converts it. */
export const UPGRADE_FROM = { ir: 4, opset: 13 } as const;

export interface StepOutcome {
  step: CorpusStep;
  ok: boolean;
  /** The CLI's error code on failure; TIMEOUT when it ran past the limit, UNCODED when it died without one. */
  code: string | null;
  /** The key figure on success, the error message on failure. */
  text: string;
  ms: number;
  /**
   * A refusal that is the right answer: `upgrade` of a model that is already IR ≥ 4 and opset ≥ 13
   * ("nothing to upgrade", NOT_SUPPORTED).
   */
  expected?: boolean;
  /** inspect: whether the model is legacy (IR < 4 or default-domain opset < 13). */
  legacy?: boolean;
  /** upgrade: the largest relative difference between the original's and the upgraded model's outputs. */
  maxRelDiff?: number;
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
  /** Whether the model is legacy, as inspect found; unknown (undefined) until it ran. */
  legacy?: boolean;
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
  if (step === 'upgrade') return ['upgrade', ctx.model, '-o', path.join(ctx.scratch, 'upgraded.onnx'), ...dims, '--json'];
  const mode = step === 'int8-static-pc' ? ['--mode', 'int8-static', '--per-channel'] : ['--mode', step];
  // The calibration folder's last sets are the held-out evaluation data for every mode.
  return ['quantize', ctx.model, ...mode, '--calibration', ctx.folders.calibrationDir, ...dims, '--json', json];
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

const defaultOpset = (info: InspectJson): number | undefined => info.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version;

/** IR < 4 or a default-domain opset < 13 (a model with no default-domain opset has nothing to upgrade there). */
function isLegacy(info: InspectJson): boolean {
  const opset = defaultOpset(info);
  return info.irVersion < UPGRADE_FROM.ir || (opset !== undefined && opset < UPGRADE_FROM.opset);
}

function inspectFigure(info: InspectJson): string {
  const opset = defaultOpset(info);
  const inputs = info.inputs.map((i) => `${i.name}:${i.type}[${i.shape.join(',')}]`).join(' ');
  const macs = info.macs === null ? `MACs unknown (${info.macsReason ?? 'no reason given'})` : `MACs ${si(info.macs)}`;
  return `IR ${info.irVersion}, opset ${opset ?? '?'}, ${macs}; inputs ${inputs}`;
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

interface UpgradeReportJson {
  fromIr: number;
  fromOpset: number;
  toIr: number;
  toOpset: number;
  changes: unknown[];
  verification: { samples: number; maxRelDiff: number; limit: number; worstOutput: string | null };
}

interface QuantizeJson {
  sizeBytes: { before: number; after: number };
  nodesQuantized: number;
  quality: { name: string; sqnrDb: number | null; cosine: number | null; nanCount?: number }[];
  warnings?: string[];
  /** Set when the model was upgraded first (at the top or under `report`); a warning says so too. */
  upgrade?: UpgradeReportJson | null;
  report?: { upgrade?: UpgradeReportJson | null };
}

/** The opset a quantization job upgraded the model from, if it did: from its upgrade figures, else from its warning. */
function upgradedFrom(report: QuantizeJson): number | null {
  const upgrade = report.upgrade ?? report.report?.upgrade;
  if (upgrade) return upgrade.fromOpset;
  const warning = report.warnings?.map((w) => /^Upgraded before the transformation: IR \d+ \/ opset (\d+) →/.exec(w)).find(Boolean);
  return warning ? Number(warning[1]) : null;
}

function upgradeFigure(report: UpgradeReportJson): string {
  const diff = report.verification.maxRelDiff === 0 ? '0' : report.verification.maxRelDiff.toExponential(1);
  return (
    `IR ${report.fromIr}/opset ${report.fromOpset} → IR ${report.toIr}/opset ${report.toOpset}, ` +
    `${report.changes.length} nodes converted, max rel Δ ${diff}`
  );
}

function quantizeFigure(report: QuantizeJson): string {
  const sqnr = Math.min(...report.quality.map((q) => q.sqnrDb ?? Number.NaN));
  const cosine = Math.min(...report.quality.map((q) => q.cosine ?? Number.NaN));
  const nan = report.quality.some((q) => (q.nanCount ?? 0) > 0) ? ', NaN in outputs' : '';
  const from = upgradedFrom(report);
  const upgraded = from === null ? '' : ` (upgraded from opset ${from})`;
  return (
    `${bytes(report.sizeBytes.before)} → ${bytes(report.sizeBytes.after)}, ${report.nodesQuantized} nodes, ` +
    `worst SQNR ${sqnr.toFixed(1)} dB, cosine ${cosine.toFixed(4)}${nan}${upgraded}`
  );
}

function failure(step: CorpusStep, exit: Exit, started: number, ctx: StepContext): StepOutcome {
  const elapsed = Date.now() - started;
  if (exit.timedOut) return { step, ok: false, code: 'TIMEOUT', text: 'ran past the time limit and was killed', ms: elapsed };
  const coded = /^inferscope: ([A-Z][A-Z0-9_]*): (.*)$/m.exec(exit.stderr);
  if (coded) {
    const [code, text] = [coded[1]!, coded[2]!];
    // Upgrading a model that is not legacy is refused, and rightly so.
    const expected = step === 'upgrade' && code === 'NOT_SUPPORTED' && ctx.legacy !== true && /nothing to upgrade/.test(text);
    return { step, ok: false, code, text, ms: elapsed, ...(expected ? { expected } : {}) };
  }
  const last = exit.stderr.trim().split('\n').slice(-3).join(' | ') || `exit code ${exit.code}`;
  return { step, ok: false, code: 'UNCODED', text: last, ms: elapsed };
}

/** Runs one step through the CLI; never throws for the CLI's own failures. */
export async function runStep(step: CorpusStep, ctx: StepContext): Promise<StepOutcome> {
  const json = path.join(ctx.scratch, `${step}.json`);
  const started = Date.now();
  const exit = await runCli(stepArgs(step, ctx, json), ctx);
  if (exit.code !== 0 || exit.timedOut) return failure(step, exit, started, ctx);
  const elapsed = Date.now() - started;
  try {
    if (step === 'inspect') {
      const info = JSON.parse(exit.stdout) as InspectJson;
      return { step, ok: true, code: null, text: inspectFigure(info), ms: elapsed, legacy: isLegacy(info) };
    }
    if (step === 'upgrade') {
      const { report } = JSON.parse(exit.stdout) as { report: UpgradeReportJson };
      const maxRelDiff = report.verification.maxRelDiff;
      return { step, ok: true, code: null, text: upgradeFigure(report), ms: elapsed, maxRelDiff };
    }
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
