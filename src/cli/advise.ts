/**
 * `inferscope advise` and `inferscope compare`: the verdict and side-by-side comparisons
 * from saved runs or run files, as text or JSON. Argument parsers are shared with `report`.
 */
import { readFile, stat } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import {
  adviseDeployment,
  modelRows,
  compareConfigurations,
  compareRuns,
  formatJoules,
  formatMedianCi,
  formatRps,
  formatUsd,
  noisyRuns,
  remeasurePlan,
  REMEASURE_FACTOR,
  type CompareItem,
} from '../shared/advice';
import {
  LatencyPercentileSchema,
  type Comparison,
  type LatencyTarget,
  type ModelVerdict,
  type PricesInput,
  type RequirementInput,
  type Verdict,
  type VerdictRow,
} from '../shared/domain/advice';
import type { RunDocument } from '../shared/domain/run';
import { InferscopeError } from '../shared/errors';
import { formatCount, formatMs, formatRatio } from '../shared/stats';
import { CAPACITY_DEFINITION, ITEMS_PER_SEC_DEFINITION } from '../shared/advice/throughput';
import { parseRunDocument } from '../core/store/runs';
import { benchCommand } from './bench';
import { renderTable } from './table';

const TIME_UNITS_MS: Readonly<Record<string, number>> = { us: 1e-3, µs: 1e-3, ms: 1, s: 1000 };

/** "50ms", "0.5s", "800us", "50" (milliseconds) → milliseconds. */
export function parseMilliseconds(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s)?$/i.exec(value.trim());
  const amount = match ? Number(match[1]) : NaN;
  if (!match || !Number.isFinite(amount)) throw new InvalidArgumentError(`expected a time like 50ms, 0.5s or 800us, got "${value}"`);
  return amount * (TIME_UNITS_MS[(match[2] ?? 'ms').toLowerCase()] ?? 1);
}

/** "p95=50ms" (also "p95<=50ms", "p95:50") → { percentile: 'p95', ms: 50 }. */
export function parseLatencyTarget(value: string): LatencyTarget {
  const match = /^\s*(p\d+)\s*(?:=|<=|≤|:)\s*(.+)$/i.exec(value);
  const percentile = LatencyPercentileSchema.safeParse(match?.[1]?.toLowerCase());
  if (!match?.[2] || !percentile.success) {
    throw new InvalidArgumentError(
      `expected a percentile and a time like p95=50ms (percentiles: ${LatencyPercentileSchema.options.join(', ')}), got "${value}"`,
    );
  }
  const ms = parseMilliseconds(match[2]);
  if (!(ms > 0)) throw new InvalidArgumentError('the latency target must be above 0');
  return { percentile: percentile.data, ms };
}

/** "200", "200/s", "200rps", "1.5k" → requests per second. */
export function parseThroughput(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(k)?\s*(?:\/s|rps|req\/s|requests\/s)?$/i.exec(value.trim());
  const rps = match ? Number(match[1]) * (match[2] ? 1000 : 1) : NaN;
  if (!(rps > 0)) throw new InvalidArgumentError(`expected requests per second like 200 or 1.5k, got "${value}"`);
  return rps;
}

function parseDollars(text: string, what: string): number {
  const match = /^\$?\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(?:h|hr|hour|kwh))?$/i.exec(text.trim());
  const amount = match ? Number(match[1]) : NaN;
  if (!Number.isFinite(amount)) throw new InvalidArgumentError(`expected a price like 0.10/h for ${what}, got "${text}"`);
  return amount;
}

/**
 * "cpu=0.10/h,gpu=1.20/h,gpu:L4=0.80/h" merged into earlier --price values: cpu is a CPU
 * machine-hour, gpu a one-GPU machine-hour, gpu:NAME the hour of a machine whose GPU name
 * contains NAME.
 */
export function collectPrices(value: string, previous: PricesInput = {}): PricesInput {
  const prices: PricesInput = { ...previous, gpuByName: { ...(previous.gpuByName ?? {}) } };
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([a-z]+)(?::([^=]+))?=(.+)$/i.exec(part);
    if (!match?.[1] || !match[3]) throw new InvalidArgumentError(`expected cpu=PRICE/h, gpu=PRICE/h or gpu:NAME=PRICE/h, got "${part}"`);
    const kind = match[1].toLowerCase();
    const amount = parseDollars(match[3], part);
    if (!(amount > 0)) throw new InvalidArgumentError(`a machine price must be above 0, got "${part}"`);
    if (kind === 'cpu' && !match[2]) prices.cpuPerHour = amount;
    else if (kind === 'gpu' && !match[2]) prices.gpuPerHour = amount;
    else if (kind === 'gpu' && match[2]) (prices.gpuByName as Record<string, number>)[match[2].trim()] = amount;
    else throw new InvalidArgumentError(`unknown price "${part}": use cpu=…/h, gpu=…/h or gpu:NAME=…/h`);
  }
  return prices;
}

/** "0.15", "$0.15", "0.15/kWh" → $ per kWh. */
export function parseElectricity(value: string): number {
  return parseDollars(value, 'electricity per kWh');
}

export interface RequirementCliOptions {
  latency?: LatencyTarget;
  throughput?: number;
  batchDelay?: number;
  price?: PricesInput;
  electricity?: number;
}

export interface AdviseCliOptions extends RequirementCliOptions {
  json?: boolean;
}

/** The requirement the options state, or null when they state neither a latency nor a throughput. */
export function requirementFromOptions(opts: RequirementCliOptions): RequirementInput | null {
  if (!opts.latency && opts.throughput === undefined) return null;
  return {
    latency: opts.latency ?? null,
    throughputRps: opts.throughput ?? null,
    maxBatchDelayMs: opts.batchDelay ?? 0,
    prices: { ...(opts.price ?? {}), ...(opts.electricity !== undefined ? { electricityPerKwh: opts.electricity } : {}) },
  };
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** A saved run by id: the CLI asks the contract (`runs.get`), as the app does. */
export type StoredRun = (id: string) => Promise<RunDocument>;

/** Run ids resolve through the saved runs; paths (or anything ending in .json) are read as run files. */
export async function loadRun(ref: string, stored: StoredRun): Promise<RunDocument> {
  if (ref.endsWith('.json') || (await isFile(ref))) {
    let text: string;
    try {
      text = await readFile(ref, 'utf8');
    } catch {
      throw new InferscopeError('RUN_NOT_FOUND', `Cannot read the run file ${ref}.`);
    }
    return parseRunDocument(text, ref);
  }
  return stored(ref);
}

export async function loadRuns(refs: readonly string[], stored: StoredRun): Promise<RunDocument[]> {
  if (refs.length === 0)
    throw new InferscopeError('BAD_REQUEST', 'Name at least one run: a run id from `inferscope runs` or a run .json file.');
  const runs: RunDocument[] = [];
  for (const ref of refs) runs.push(await loadRun(ref, stored));
  return runs;
}

export async function runAdvise(refs: readonly string[], opts: AdviseCliOptions, stored: StoredRun): Promise<string> {
  const requirement = requirementFromOptions(opts);
  if (!requirement) throw new InferscopeError('BAD_REQUEST', 'State a requirement: --latency p95=50ms, --throughput 200, or both.');
  const runs = await loadRuns(refs, stored);
  const verdict = adviseDeployment(runs, requirement);
  return opts.json ? JSON.stringify(verdict, null, 2) : printVerdict(verdict, remeasureCommands(verdict, runs));
}

const STATUS_LINE: Record<ModelVerdict['status'], string> = {
  'cpu-suffices': 'CPU suffices',
  'gpu-needed': 'GPU needed',
  'gpu-worth-it': 'GPU worth it',
  'nothing-meets': 'nothing measured meets the requirement',
  'insufficient-data': 'not enough data',
};

/**
 * For each run too uncertain to carry the verdict, the command that measures it again for longer
 * (the Decide view's "Measure again, longer"). Runs from another machine are measured here anew.
 */
export function remeasureCommands(verdict: Pick<Verdict, 'rows'>, runs: readonly RunDocument[]): RemeasureCommand[] {
  return noisyRuns(verdict).flatMap((id) => {
    const run = runs.find((r) => r.id === id);
    return run ? [{ runId: id, command: benchCommand(remeasurePlan(run)) }] : [];
  });
}

export interface RemeasureCommand {
  runId: string;
  command: string;
}

/** One model's answer: its headline names the model, then what it rests on and the table of its setups. */
function printModelVerdict(v: Verdict, m: ModelVerdict, remeasure: readonly RemeasureCommand[]): string[] {
  const lines = [`Verdict for ${m.model}: ${STATUS_LINE[m.status]}`, '', m.summary];
  if (m.basis) lines.push(`Rests on: ${m.basis.text}.`);
  const list = (title: string, items: readonly string[]): void => {
    if (items.length) lines.push('', title, ...items.map((i) => `  · ${i}`));
  };
  list('What it rests on', m.evidence);
  list('Missing', m.missing);
  if (remeasure.length)
    lines.push(
      '',
      `Measure again, ${REMEASURE_FACTOR}× longer, with the machine otherwise idle:`,
      ...remeasure.map((c) => `  ${c.command}`),
    );
  list('Caveats', m.caveats);
  list(
    'Older measurements left out',
    m.superseded.map((s) => s.text),
  );
  const rows = modelRows(v, m);
  if (rows.length === 0) return lines;
  lines.push(
    '',
    renderTable(
      ['setup', 'run', 'requirement', 'capacity', 'instances', 'cost / million', 'fully loaded', 'energy', 'reliable'],
      rows.map((r) => [
        `${r.id === m.cheapest ? '* ' : ''}${setupName(r)}`,
        r.runLabel,
        r.meetsRequirement ? r.targetStatus : r.targetStatus === 'borderline' ? 'borderline (misses)' : 'fails',
        r.capacity.maxThroughputRps === null
          ? '—'
          : `${formatRps(r.capacity.maxThroughputRps)}${r.capacity.basis === 'interpolated' ? ' (interp.)' : ''}`,
        r.instances === null ? '—' : String(r.instances),
        r.costPerMillion === null ? '—' : formatUsd(r.costPerMillion),
        r.costPerMillionAtCapacity === null ? '—' : formatUsd(r.costPerMillionAtCapacity),
        r.energyPerInferenceJ === null ? '—' : formatJoules(r.energyPerInferenceJ),
        r.reliable ? 'yes' : 'no',
      ]),
    ),
  );
  if (m.cheapest) lines.push('  * cheapest setup that meets the requirement');
  lines.push(`  ${CAPACITY_DEFINITION}.`);
  return lines;
}

/** A row's setup without the run it came from (the table names the run in its own column). */
function setupName(row: Pick<VerdictRow, 'label' | 'runLabel'>): string {
  const prefix = `${row.runLabel}: `;
  return row.runLabel && row.label.startsWith(prefix) ? row.label.slice(prefix.length) : row.label;
}

/** Every model's verdict in turn (a verdict is per model), then the assumptions they share. */
export function printVerdict(v: Verdict, remeasure: readonly RemeasureCommand[] = []): string {
  const blocks = v.models.map((m) =>
    printModelVerdict(
      v,
      m,
      remeasure.filter((c) => m.runIds.includes(c.runId)),
    ).join('\n'),
  );
  const lines = [blocks.join('\n\n' + '─'.repeat(40) + '\n\n')];
  if (v.assumptions.length) lines.push('', 'Assumptions', ...v.assumptions.map((i) => `  · ${i}`));
  return lines.join('\n');
}

export interface CompareCliOptions {
  json?: boolean;
}

/**
 * Runs side by side (the same configuration across runs, the first run as the baseline), or
 * chosen configurations written RUN#CONFIG_ID (the first as the baseline).
 */
export async function runCompare(refs: readonly string[], opts: CompareCliOptions, stored: StoredRun): Promise<string> {
  const picks = refs.map((ref) => {
    const hash = ref.lastIndexOf('#');
    return hash > 0 ? { run: ref.slice(0, hash), config: ref.slice(hash + 1) } : { run: ref, config: null };
  });
  const chosen = picks.filter((p) => p.config !== null).length;
  if (chosen > 0 && chosen < picks.length) {
    throw new InferscopeError(
      'BAD_REQUEST',
      'Either name whole runs, or name every configuration as RUN#CONFIG_ID (e.g. my-run#cpu/b1/t0/c1).',
    );
  }
  let comparisons: Comparison[];
  if (chosen > 0) {
    const cache = new Map<string, RunDocument>();
    const items: CompareItem[] = [];
    for (const pick of picks) {
      const run = cache.get(pick.run) ?? (await loadRun(pick.run, stored));
      cache.set(pick.run, run);
      const config = run.configs.find((c) => c.id === pick.config);
      if (!config)
        throw new InferscopeError(
          'BAD_REQUEST',
          `Run ${run.id} has no configuration ${pick.config}; it has ${run.configs.map((c) => c.id).join(', ')}.`,
        );
      items.push({ run, config });
    }
    comparisons = [compareConfigurations(items)];
  } else {
    const runs = await loadRuns(
      picks.map((p) => p.run),
      stored,
    );
    comparisons = compareRuns(runs);
    if (comparisons.length === 0) {
      throw new InferscopeError(
        'BAD_REQUEST',
        runs.length === 1
          ? 'This run has a single configuration: name another run to compare it with.'
          : 'The runs share no configuration to compare: pick configurations as RUN#CONFIG_ID.',
      );
    }
  }
  return opts.json ? JSON.stringify(comparisons, null, 2) : printComparisons(comparisons);
}

export function printComparisons(comparisons: readonly Comparison[]): string {
  const blocks = comparisons.map((c) =>
    [
      c.title,
      renderTable(
        ['entry', 'median', '95 % CI', 'p95', 'items/s', 'against the baseline'],
        c.entries.map((e) => [
          e.label,
          e.medianMs === null ? '—' : formatMs(e.medianMs),
          e.medianMs === null ? '—' : formatMedianCi(e.ciLowMs, e.ciHighMs),
          e.p95Ms === null ? '—' : formatMs(e.p95Ms),
          e.throughputRps === null
            ? '—'
            : `${formatCount(e.throughputRps)}${e.throughputRatio !== null ? ` (${formatRatio(e.throughputRatio)})` : ''}`,
          e.statement,
        ]),
        { indent: '  ' },
      ),
      ...c.entries.flatMap((e) => (e.throughputNote ? [`  ! ${e.label}: ${e.throughputNote}`] : [])),
      ...c.notes.map((n) => `  ! ${n}`),
    ].join('\n'),
  );
  if (comparisons.some((c) => c.machinesDiffer)) blocks.push('The runs come from different machines: differences include the hardware.');
  if (comparisons.length > 0) blocks.push(`${ITEMS_PER_SEC_DEFINITION}; in brackets, against the baseline.`);
  return blocks.join('\n\n');
}
