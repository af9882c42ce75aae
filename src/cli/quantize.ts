/**
 * `inferscope quantize`: make an int8 / fp16 / 4-bit variant of a model in the worker, keep it
 * among the variants (the app lists it too), optionally copy it to -o, and print what it cost
 * in size and in output quality. It goes through the contract's `quantize.run`, as the app does.
 */
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { Handlers } from '../shared/contract';
import type { ModelSource } from '../shared/domain/app';
import {
  BLOCK_SIZES,
  QuantizeModeSchema,
  type CalibrationMethod,
  type OutputQuality,
  type QuantizeMode,
  type QuantizeOptions,
} from '../shared/domain/quantize';
import { parseNameList as parseNames } from '../shared/parse/lists';
import {
  isBroken,
  isIdentical,
  isZeroReference,
  variantVerdict,
  verdictFails,
  type VariantJudgement,
} from '../shared/domain/quality-verdict';
import {
  describeEvaluation,
  type CalibrationSpecInput,
  type QuantizeProgress,
  type QuantizeRequestInput,
  type Variant,
} from '../shared/domain/variant';
import { fedValueText, type InputValues } from '../shared/domain/input-values';
import { InferscopeError } from '../shared/errors';
import { formatBytes, formatMs, formatPercent, formatSignificant } from '../shared/stats';
import { ANY_INPUT } from '../core/quantize/data';
import { ProgressLine } from './progress';
import { call, writeOutput } from './run';
import { renderPairs, renderTable } from './table';
import { cliWords } from './words';

export const QUANTIZE_MODES = QuantizeModeSchema.options;

export interface QuantizeCliOptions {
  mode: QuantizeMode;
  /** --on: make the variant on this machine (from `inferscope machines list`); it stays there. */
  on?: string;
  /** -o: also write the variant here. */
  output?: string;
  /** A folder of tensor sets (or one tensor file per sample for a single-input model): calibration and evaluation data. */
  calibration?: string;
  calibrationImages?: string;
  /** A folder of .wav files for a model with one audio input. */
  calibrationAudio?: string;
  /** Audio: the rate the model takes (default 16000). */
  sampleRate?: number;
  audioScale?: 'float' | 'int16';
  /** Audio: seconds between window starts (default: one window). */
  hop?: number;
  mean?: number[];
  std?: number[];
  layout?: 'nchw' | 'nhwc';
  size?: { width: number; height: number };
  channelOrder?: 'rgb' | 'bgr';
  scale?: number;
  calibrationSamples?: number;
  calibrationMethod?: CalibrationMethod;
  perChannel?: boolean;
  lstm?: boolean;
  movingAverage?: boolean;
  blockSize?: number;
  exclude?: string[];
  include?: string[];
  evaluationSamples?: number;
  /** --layer-report: always; --no-layer-report: never; absent: automatic (models up to 64 MiB). */
  layerReport?: boolean;
  seed?: number;
  intRange?: { min: number; max: number };
  dim?: Record<string, number>;
  /** --input NAME=VALUE: data for named inputs of random samples. */
  input?: InputValues;
  /** A file for the report JSON, or '-' for stdout (then no human summary). */
  json?: string;
  /** Exit with FAIL_ON_EXIT_CODE when the verdict is this or worse. */
  failOn?: 'unverified' | 'degraded' | 'unusable';
  /** Quantize again without the worst layers until the verdict's figures say good (every attempt is kept). */
  autoExclude?: boolean;
}

/** The exit code of `--fail-on` when the verdict is that or worse (1 stays for errors). */
export const FAIL_ON_EXIT_CODE = 3;
export const FAIL_ON_CHOICES = ['unverified', 'degraded', 'unusable'] as const;

export interface QuantizeCliDeps {
  /** The contract's handlers: the command makes its variant exactly as the app does. */
  handlers: Handlers;
  /** Human output (default: stdout). */
  print?: (text: string) => void;
  /** Cancels the job (the command wires Ctrl+C to it). */
  signal?: AbortSignal;
}

/** The report as `--json` writes it: the verdict and the report's figures first, then the rest of the variant. */
export type QuantizeJsonReport = Omit<Variant, 'report' | 'sizeBytes'> &
  Pick<
    Variant['report'],
    'mode' | 'sizeBytes' | 'nodesQuantized' | 'quality' | 'settings' | 'skipped' | 'warnings' | 'upgrade' | 'nonFiniteFrom'
  > & {
    verdict: VariantJudgement['verdict'];
    verdictReason: string;
    variantSizeBytes: number;
    output: string | null;
  };

export interface QuantizeCliResult {
  variant: Variant;
  output: string | null;
  json: QuantizeJsonReport;
}

// ---- option parsers (commander)

export function parseTriple(value: string): number[] {
  const parts = value.split(',').map((v) => Number(v.trim()));
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n)))
    throw new InvalidArgumentError(`expected three numbers like 0.485,0.456,0.406, got "${value}"`);
  return parts;
}

export function parseSize(value: string): { width: number; height: number } {
  const match = /^(\d+)\s*[x×,]\s*(\d+)$/i.exec(value.trim());
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || !(width > 0) || !(height > 0)) throw new InvalidArgumentError(`expected WIDTHxHEIGHT like 224x224, got "${value}"`);
  return { width, height };
}

const BYTE_SUFFIX: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
};

/** A size like 512MiB, 2GiB, 1.5GB or a plain byte count. */
export function parseByteSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const factor = BYTE_SUFFIX[(match?.[2] ?? '').toLowerCase()];
  const bytes = Math.floor(Number(match?.[1]) * (factor ?? NaN));
  if (!match || !Number.isSafeInteger(bytes) || bytes <= 0)
    throw new InvalidArgumentError(`expected a size like 512MiB or 2GiB, got "${value}"`);
  return bytes;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return n;
}

export function parsePositive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

export function parseBlockSize(value: string): number {
  const n = Number(value);
  if (!(BLOCK_SIZES as readonly number[]).includes(n))
    throw new InvalidArgumentError(`expected one of ${BLOCK_SIZES.join(', ')}, got "${value}"`);
  return n;
}

/** A repeatable option of names, read as the app's fields read them; repeats add up. */
export function parseNameList(value: string, previous: string[] = []): string[] {
  return [...new Set([...previous, ...parseNames(value)])];
}

// ---- the command

function modelSource(argument: string): ModelSource {
  return argument.startsWith('sample:')
    ? { kind: 'sample', name: argument.slice('sample:'.length) }
    : { kind: 'path', path: path.resolve(argument) };
}

function flagError(flag: string, modes: string): InferscopeError {
  return new InferscopeError('BAD_REQUEST', `${flag} applies to ${modes} only.`);
}

/** Options the worker gets: only those the mode uses, so a stray flag never changes a variant's id silently. */
export function quantizeOptions(opts: QuantizeCliOptions): QuantizeOptions {
  const int8 = opts.mode === 'int8-dynamic' || opts.mode === 'int8-static';
  const int4 = opts.mode === 'int4' || opts.mode === 'q4f16';
  if (opts.perChannel !== undefined && !int8)
    throw flagError(opts.perChannel ? '--per-channel' : '--no-per-channel', 'int8-dynamic and int8-static');
  if (opts.calibrationMethod && opts.mode !== 'int8-static') throw flagError('--calibration-method', 'int8-static');
  if (opts.lstm && opts.mode !== 'int8-dynamic') throw flagError('--lstm', 'int8-dynamic');
  if (opts.movingAverage && (opts.mode !== 'int8-static' || (opts.calibrationMethod ?? 'minmax') !== 'minmax')) {
    throw flagError('--moving-average', 'int8-static with minmax calibration');
  }
  if (opts.blockSize !== undefined && !int4) throw flagError('--block-size', 'int4 and q4f16');
  const options: QuantizeOptions = { mode: opts.mode };
  // As in the app: static int8 weights are per channel unless asked otherwise (it costs nothing at
  // run time and keeps convolutions accurate); dynamic keeps onnxruntime's per-tensor default.
  const perChannel = opts.perChannel ?? (opts.mode === 'int8-static' ? true : undefined);
  if (perChannel !== undefined && (perChannel || opts.mode === 'int8-static')) options.perChannel = perChannel;
  if (opts.lstm) options.quantizeLstm = true;
  if (opts.movingAverage) options.movingAverage = true;
  if (opts.calibrationMethod) options.calibrationMethod = opts.calibrationMethod;
  if (opts.blockSize !== undefined) options.blockSize = opts.blockSize as QuantizeOptions['blockSize'];
  if (opts.exclude?.length) options.exclude = opts.exclude;
  if (opts.include?.length) options.include = opts.include;
  return options;
}

export function calibrationSpec(opts: QuantizeCliOptions): CalibrationSpecInput {
  if ([opts.calibration, opts.calibrationImages, opts.calibrationAudio].filter(Boolean).length > 1) {
    throw new InferscopeError('BAD_REQUEST', 'Give one of --calibration (tensors), --calibration-images and --calibration-audio.');
  }
  const imageFlags = ['mean', 'std', 'layout', 'size', 'channelOrder', 'scale'] as const;
  if (!opts.calibrationImages && imageFlags.some((f) => opts[f] !== undefined)) {
    throw new InferscopeError('BAD_REQUEST', '--mean, --std, --layout, --size, --channel-order and --scale describe --calibration-images.');
  }
  const audioFlags = ['sampleRate', 'audioScale', 'hop'] as const;
  if (!opts.calibrationAudio && audioFlags.some((f) => opts[f] !== undefined)) {
    throw new InferscopeError('BAD_REQUEST', '--sample-rate, --audio-scale and --hop describe --calibration-audio.');
  }
  const samples = opts.calibrationSamples !== undefined ? { samples: opts.calibrationSamples } : {};
  if (opts.calibration) return { kind: 'tensors', dir: path.resolve(opts.calibration), ...samples };
  if (opts.calibrationAudio) {
    return {
      kind: 'audio',
      dir: path.resolve(opts.calibrationAudio),
      ...samples,
      ...(opts.sampleRate !== undefined ? { sampleRate: opts.sampleRate } : {}),
      ...(opts.audioScale ? { scale: opts.audioScale } : {}),
      ...(opts.hop !== undefined ? { hopSeconds: opts.hop } : {}),
    };
  }
  if (opts.calibrationImages) {
    return {
      kind: 'images',
      dir: path.resolve(opts.calibrationImages),
      ...samples,
      ...(opts.layout ? { layout: opts.layout } : {}),
      ...(opts.size ? { width: opts.size.width, height: opts.size.height } : {}),
      ...(opts.channelOrder ? { channelOrder: opts.channelOrder } : {}),
      ...(opts.scale !== undefined ? { scale: opts.scale } : {}),
      ...(opts.mean ? { mean: opts.mean } : {}),
      ...(opts.std ? { std: opts.std } : {}),
    };
  }
  return { kind: 'random', samples: opts.calibrationSamples ?? 16, seed: opts.seed ?? 1 };
}

export async function runQuantize(deps: QuantizeCliDeps, modelArg: string, opts: QuantizeCliOptions): Promise<QuantizeCliResult> {
  if (opts.on && opts.output) {
    throw new InferscopeError(
      'NOT_SUPPORTED',
      `-o writes a file on this machine, and a variant made with --on stays on ${opts.on}: leave -o out (bench --on ${opts.on} ` +
        "--variants ID measures it there), or download it from that machine's page.",
    );
  }
  const request: QuantizeRequestInput = {
    source: modelSource(modelArg),
    options: quantizeOptions(opts),
    calibration: calibrationSpec(opts),
    ...(opts.evaluationSamples !== undefined ? { evaluationSamples: opts.evaluationSamples } : {}),
    ...(opts.layerReport !== undefined ? { layerReport: opts.layerReport ? ('always' as const) : ('never' as const) } : {}),
    ...(opts.dim && Object.keys(opts.dim).length > 0 ? { dims: opts.dim } : {}),
    // The user's range applies to every integer input but masks and token types.
    ...(opts.intRange ? { intRanges: { [ANY_INPUT]: opts.intRange } } : {}),
    ...(opts.input && Object.keys(opts.input).length > 0 ? { inputValues: opts.input } : {}),
    ...(opts.autoExclude ? { autoExclude: true } : {}),
    jobId: `cli-${process.pid}-${Date.now().toString(36)}`,
  };
  const line = new ProgressLine(opts.json === '-');
  const cancel = (): void => void call(deps.handlers, 'quantize.cancel', { jobId: request.jobId }).catch(() => undefined);
  deps.signal?.addEventListener('abort', cancel);
  let variant: Variant;
  try {
    variant = await call(deps.handlers, 'quantize.run', { request, ...(opts.on ? { machine: opts.on } : {}) }, (event, payload) => {
      if (event !== 'quantize.progress') return;
      const p = payload as QuantizeProgress;
      if (p.jobId === request.jobId) line.show(p.fraction, `${STAGE_LABEL[p.stage]} · ${p.message}`);
    });
  } finally {
    deps.signal?.removeEventListener('abort', cancel);
    line.clear();
  }
  const output = opts.output ? ((await call(deps.handlers, 'variants.export', { id: variant.id, path: opts.output }))?.path ?? null) : null;
  const json = jsonReport(variant, output);
  if (opts.json) {
    const text = JSON.stringify(json, null, 2) + '\n';
    if (opts.json === '-') process.stdout.write(text);
    else await writeOutput(opts.json, text);
  }
  if (opts.json !== '-') (deps.print ?? console.log)(cliWords(printQuantizeSummary(variant, output)));
  return { variant, output, json };
}

export function jsonReport(variant: Variant, output: string | null): QuantizeJsonReport {
  const { report, sizeBytes, mode, ...rest } = variant;
  const judgement = variantVerdict(variant);
  return {
    verdict: judgement.verdict,
    verdictReason: judgement.reason,
    mode,
    sizeBytes: report.sizeBytes,
    nodesQuantized: report.nodesQuantized,
    quality: report.quality,
    settings: report.settings,
    skipped: report.skipped,
    warnings: report.warnings,
    ...(report.upgrade ? { upgrade: report.upgrade } : {}),
    ...(report.nonFiniteFrom !== undefined ? { nonFiniteFrom: report.nonFiniteFrom } : {}),
    ...rest,
    variantSizeBytes: sizeBytes,
    output,
  };
}

// ---- printing

const STAGE_LABEL: Record<QuantizeProgress['stage'], string> = {
  load: 'loading',
  prepare: 'preparing',
  calibrate: 'calibrating',
  transform: 'transforming',
  save: 'saving',
  verify: 'verifying',
  evaluate: 'evaluating',
};

function number(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '—' : '∞';
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6 ? formatSignificant(value, 3) : value.toExponential(2);
}

function sqnrText(q: OutputQuality): string {
  if (isBroken(q)) return '—';
  if (isIdentical(q)) return 'identical';
  if (q.sqnrDb !== null) return `${q.sqnrDb.toFixed(1)} dB`;
  return isZeroReference(q) ? 'no signal' : '—';
}

/** The quality table: one row per output; a NaN/Inf column only when some output has them. */
export function qualityTable(quality: readonly OutputQuality[]): { headers: string[]; rows: string[][] } {
  const nonFinite = quality.some((q) => q.nanCount + q.infCount > 0);
  const verdicts = quality.some((q) => q.verdict !== undefined);
  const headers = [
    'output',
    ...(verdicts ? ['verdict'] : []),
    'max |Δ|',
    'mean |Δ|',
    'SQNR',
    'cosine',
    'top-1',
    ...(nonFinite ? ['NaN / Inf'] : []),
  ];
  const rows = quality.map((q) => [
    q.name,
    ...(verdicts ? [q.verdict ?? '—'] : []),
    number(q.maxAbsDiff),
    number(q.meanAbsDiff),
    sqnrText(q),
    isBroken(q) ? '—' : q.cosine.toFixed(5),
    q.top1Agreement !== undefined ? formatPercent(q.top1Agreement, { digits: 0 }) : '—',
    ...(nonFinite ? [`${q.nanCount} / ${q.infCount}`] : []),
  ]);
  return { headers, rows };
}

/** "Verdict: UNUSABLE — output boxes: 1844 NaN, 12 Inf where the original is finite (first at node Conv_17, Conv)". */
export function verdictLine(variant: Pick<Variant, 'report' | 'evaluation'>): string {
  const judgement = variantVerdict(variant);
  return `Verdict: ${judgement.verdict.toUpperCase()} — ${judgement.reason}`;
}

/** The message `--fail-on` exits with, or null when the verdict passes. */
export function failOnMessage(variant: Pick<Variant, 'report' | 'evaluation'>, failOn: QuantizeCliOptions['failOn']): string | null {
  if (!failOn) return null;
  const judgement = variantVerdict(variant);
  if (!verdictFails(judgement.verdict, failOn)) return null;
  return `inferscope: the variant's quality verdict is ${judgement.verdict} (--fail-on ${failOn}): ${judgement.reason}`;
}

export function printQuantizeSummary(variant: Variant, output: string | null): string {
  const { report } = variant;
  const { before, after } = report.sizeBytes;
  const lines = [verdictLine(variant), `${variant.label} of ${variant.source.name} — variant ${variant.id}`, ''];
  lines.push(
    renderPairs(
      [
        [
          'size',
          `${formatBytes(before)} → ${formatBytes(after)} (${before > 0 ? formatPercent(after / before, { digits: 0 }) : '—'} ` +
            `of the original)`,
        ],
        ['nodes', `${report.nodesQuantized} transformed${report.skipped.length > 0 ? `, ${report.skipped.length} left as they were` : ''}`],
        [
          'calibration',
          variant.calibration.kind === 'none'
            ? 'none (this mode needs none)'
            : `${variant.calibration.samples} samples — ${variant.calibration.note}`,
        ],
        ['evaluation', `${describeEvaluation(variant.evaluation)}, compared with the original`],
        ...(variant.evaluation.inputs ?? []).map((i): [string, string] => [
          `  ${i.name}`,
          `${i.type}[${i.shape.join(', ')}] ${fedValueText(i)}`,
        ]),
        ['took', formatMs(variant.durationMs)],
      ],
      '  ',
    ),
  );
  if (report.quality.length > 0) {
    const table = qualityTable(report.quality);
    lines.push('', renderTable(table.headers, table.rows, { indent: '  ' }));
  }
  if (report.skipped.length > 0) {
    lines.push('', '  Left as they were:');
    for (const s of report.skipped.slice(0, 10)) lines.push(`    ${s.node} (${s.opType}): ${s.reason}`);
    if (report.skipped.length > 10) lines.push(`    … and ${report.skipped.length - 10} more (see --json)`);
  }
  if (report.warnings.length > 0) lines.push('', '  Warnings:', ...report.warnings.map((w) => `    ! ${w}`));
  lines.push('', `  Variant kept ${variant.machine ? `on ${variant.machine.name} ` : ''}at ${variant.path}`);
  if (output) lines.push(`  Written to ${output}`);
  if (variant.autoExclude) lines.push('', ...autoExcludeLines(variant.autoExclude));
  return lines.join('\n');
}

/** Each attempt of --auto-exclude: what it left in float, its verdict, worst cosine and size. */
export function autoExcludeLines(auto: NonNullable<Variant['autoExclude']>): string[] {
  const rows = auto.attempts.map((a, i) => [
    String(i + 1),
    a.variantId,
    a.excluded.length === 0 ? '—' : `${a.excluded.length}: ${a.excluded.slice(-3).join(', ')}${a.excluded.length > 3 ? ', …' : ''}`,
    a.verdict,
    a.worstCosine === null ? '—' : a.worstCosine.toFixed(4),
    formatBytes(a.sizeBytes),
  ]);
  return [
    `  Auto-exclude: ${auto.reason} (every attempt is kept; \`bench MODEL --variants ID,…\` measures their speed side by side)`,
    renderTable(['attempt', 'variant', 'left in float', 'verdict', 'worst cosine', 'size'], rows, { indent: '  ' }),
  ];
}

/** The whole command for src/cli/index.ts: Ctrl+C cancels the job (nothing half-made is kept). */
export async function quantizeCommand(handlers: Handlers, modelArg: string, opts: QuantizeCliOptions): Promise<QuantizeCliResult> {
  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nCancelling… (nothing half-written is kept)\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await runQuantize({ handlers, signal: controller.signal }, modelArg, opts);
    const failure = failOnMessage(result.variant, opts.failOn);
    if (failure) {
      process.stderr.write(`${cliWords(failure)}\n`);
      process.exitCode = FAIL_ON_EXIT_CODE;
    }
    return result;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
