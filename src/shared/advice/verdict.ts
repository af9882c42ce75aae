/**
 * The verdict (docs/measurement.md#verdict): the cheapest measured setup that meets the
 * requirement, whether it needs a GPU, the numbers it rests on with their uncertainty —
 * and, where the data cannot carry an answer, what is missing instead of a guess.
 */
import {
  RequirementSchema,
  type AdvisedRun,
  type ModelVerdict,
  type SupersededSetup,
  type VerdictBasis,
  type BreakEven,
  type Requirement,
  type RequirementInput,
  type ResolvedPrices,
  type Verdict,
  type VerdictRow,
  type VerdictStatus,
} from '../domain/advice';
import { LOCAL_MACHINE_NAME } from '../domain/machine';
import type { RunDocument } from '../domain/run';
import { setting } from '../settings';
import { formatMs, formatPercent, NO_CI_TEXT, PERCENTILE_METHOD } from '../stats';
import { computeBreakEven } from './break-even';
import { machinePrice, resolvePrices } from './cost';
import { formatJoules, formatMedianCi, formatMsRange, formatRps, formatTarget, formatUsd } from './format';
import { machineOutcomes, machinesSentence } from './machines';
import { byCost, fastest } from './ranking';
import { buildRow, PERCENTILE_STABLE_REL, VERDICT_MAX_CI_HALF_WIDTH, watchedPercentile } from './rows';
import {
  groupModels,
  groupSetups,
  isHardwareGpuProvider,
  isMeasured,
  isSoftwareAdapter,
  machineKeyOf,
  machineLabel,
  machineNames,
  machinesDiffer,
  measuresVariants,
  newestSetups,
  ORIGINAL_VARIANT,
  runLabels,
  runTimeLabel,
  setupLabel,
  type SupersededPair,
} from './setups';

/**
 * Decide from one or more runs (possibly from different machines) whether the requirement
 * needs a GPU: one verdict per model, each resting on the newest measurement of every setup.
 * Pure: the same documents and requirement always give the same verdicts.
 */
export function adviseDeployment(runs: readonly RunDocument[], requirementInput: RequirementInput): Verdict {
  const requirement = RequirementSchema.parse(requirementInput);
  const prices = resolvePrices(requirement.prices);
  const labels = runLabels(runs);
  const names = machineNames(runs);
  const showVariant = measuresVariants(runs);
  const { kept, superseded } = newestSetups(groupSetups(runs));
  const advisedRuns = runs.map((run, i) => describeRun(run, labels[i] ?? run.id, names[i] ?? machineLabel(run)));
  const rows: VerdictRow[] = [];
  const models: ModelVerdict[] = groupModels(runs).map((group) => {
    const own = kept.filter((setup) => group.runIndexes.includes(setup.runIndex));
    const prefixRun = new Set(own.map((setup) => setup.runIndex)).size > 1;
    const modelRows = own.map((setup) => {
      const machine = { id: machineKeyOf(setup.run), name: names[setup.runIndex] ?? machineLabel(setup.run) };
      return buildRow(setup, { requirement, prices, runLabel: labels[setup.runIndex] ?? '', machine, prefixRun, showVariant });
    });
    rows.push(...modelRows);
    const modelRuns = group.runIndexes.map((i) => advisedRuns[i] as AdvisedRun);
    const decision = decide(modelRows, requirement, prices, modelRuns);
    const machines = machineOutcomes(modelRows, requirement, describeGoal(requirement));
    return {
      model: group.name,
      sha256: group.sha256,
      runIds: modelRuns.map((run) => run.id),
      ...decision,
      summary: machines.length > 0 ? `${decision.summary} ${machinesSentence(machines)}` : decision.summary,
      basis: basisOf(decision, modelRows, runs),
      superseded: superseded
        .filter((pair) => group.runIndexes.includes(pair.setup.runIndex))
        .map((pair) => supersededText(pair, labels, showVariant)),
      machines,
    };
  });
  return {
    requirement: {
      latency: requirement.latency,
      throughputRps: requirement.throughputRps,
      maxBatchDelayMs: requirement.maxBatchDelayMs,
      prices,
    },
    models,
    rows,
    runs: advisedRuns,
    assumptions: assumptionsFor(requirement, prices, runs),
  };
}

/** The verdicts' rows of one model. */
export function modelRows(verdict: Pick<Verdict, 'rows'>, model: Pick<ModelVerdict, 'runIds'>): VerdictRow[] {
  return verdict.rows.filter((row) => model.runIds.includes(row.runId));
}

/** The run the answer rests on: the cheapest setup meeting the requirement, else the fastest one, else the first. */
function basisOf(decision: Decision, rows: readonly VerdictRow[], runs: readonly RunDocument[]): VerdictBasis | null {
  const row = rows.find((r) => r.id === decision.cheapest) ?? fastest(rows)?.row ?? rows[0];
  const run = row ? runs.find((r) => r.id === row.runId) : undefined;
  if (!row || !run) return null;
  const setup = setupLabel(run, row.ep, row.threads, row.batch, row.variant === ORIGINAL_VARIANT ? null : row.variant);
  const when = runTimeLabel(run.createdAt);
  return {
    runId: run.id,
    runLabel: row.runLabel,
    model: run.model.name,
    setup,
    createdAt: run.createdAt,
    text: `${run.model.name}, ${setup}, measured ${when} (run ${run.id})`,
  };
}

function supersededText(pair: SupersededPair, labels: readonly string[], showVariant: boolean): SupersededSetup {
  const { setup, by } = pair;
  const name = setupLabel(setup.run, setup.ep, setup.threads, setup.batch, showVariant ? setup.variant : null);
  const runLabel = labels[setup.runIndex] ?? setup.run.id;
  const byRunLabel = labels[by.runIndex] ?? by.run.id;
  return {
    setup: name,
    runId: setup.run.id,
    runLabel,
    byRunId: by.run.id,
    byRunLabel,
    text:
      `${name} of ${runLabel} was measured again in ${byRunLabel}: the newer numbers are used ` +
      `(untick the newer run to decide on the older one).`,
  };
}

type Decision = Pick<ModelVerdict, 'status' | 'summary' | 'cheapest' | 'evidence' | 'missing' | 'caveats' | 'breakEven'>;

/** What every step of the decision shares: the rows, the requirement in words, and what is missing so far. */
interface DecisionContext {
  rows: VerdictRow[];
  requirement: Requirement;
  target: number | null;
  percentile: string;
  goal: string;
  hasGpu: boolean;
  cpuRows: VerdictRow[];
  meeting: VerdictRow[];
  missing: string[];
  caveats: string[];
  breakEven: BreakEven | null;
}

/** Setups that might be cheaper but cannot carry a verdict, narrow misses, and capacities known only as bounds. */
function noteUncertainSetups(ctx: DecisionContext, cheapest: VerdictRow | null): void {
  const { rows, meeting, missing, caveats, target, goal, percentile } = ctx;
  for (const row of meeting) {
    if (!row.reliable && (cheapest === null || byCost(row, cheapest) < 0)) {
      missing.push(
        `${row.label} might ` +
          `${cheapest ? `be cheaper (${formatUsd(row.costPerMillion ?? NaN)} per million)` : 'meet the requirement'}, but its ` +
          `measurement cannot carry a verdict: ${row.issues.join(' ')}`,
      );
    }
  }
  const borderlineFailing = rows.filter((r) => !r.meetsRequirement && r.targetStatus === 'borderline');
  for (const row of borderlineFailing) {
    if (!cheapest || (row.costPerMillionAtCapacity ?? Infinity) < (cheapest.costPerMillionAtCapacity ?? Infinity)) {
      caveats.push(`${row.label} misses ${goal} narrowly: within the ${percentile}'s 95 % CI it could meet it.`);
    }
  }
  for (const row of rows) {
    if (!row.eligible) continue;
    if (target !== null && row.capacity.singleLevel && (row.instances ?? 0) > 1 && row.meetsRequirement) {
      missing.push(
        `${row.label}: only concurrency ${row.points[0]?.concurrency ?? 1} was measured, so the ${row.instances} instances for ` +
          `${formatRps(target)} are an upper bound; measure with ${setting('concurrency', '1,2,4,8')} to know its capacity.`,
      );
    }
  }
}

/** The caveats a chosen setup brings: borderline, an unstable percentile, warnings, a variant instead of the model. */
function chosenCaveats(ctx: DecisionContext, chosen: VerdictRow): void {
  const { caveats, goal, percentile, requirement, meeting } = ctx;
  if (chosen.targetStatus === 'borderline')
    caveats.unshift(`Borderline: ${chosen.label} meets ${goal} on the estimate, but not at the upper end of the ${percentile}'s 95 % CI.`);
  if (!chosen.percentileStable && requirement.latency !== null)
    caveats.push(
      `The ${percentile} of ${chosen.label} is not stable: its 95 % CI reaches further than ±${PERCENTILE_STABLE_REL * 100} % from it.`,
    );
  for (const w of chosen.warnings) caveats.push(`Warning on a measurement this rests on — ${w}`);
  if (chosen.variant === ORIGINAL_VARIANT) return;
  const asGiven = meeting.find((r) => r.variant === ORIGINAL_VARIANT && r.reliable);
  const withModel = asGiven
    ? `With the model as given, the cheapest setup is ${asGiven.label} at ${formatUsd(asGiven.costPerMillion ?? NaN)} per million.`
    : 'No setup of the model as given meets the requirement.';
  const quality = chosen.variantQuality ?? 'its output quality was not measured';
  caveats.push(
    `This runs the ${chosen.variantLabel} variant, not the model as given: ${quality}. ` +
      `Check that this accuracy is acceptable. ${withModel}`,
  );
}

function decisionOf(
  ctx: DecisionContext,
  status: VerdictStatus,
  summary: string,
  chosen: VerdictRow | null,
  extra: VerdictRow[] = [],
): Decision {
  const evidence = chosen ? [...evidenceFor(chosen, ctx.requirement), ...extra.flatMap((r) => evidenceFor(r, ctx.requirement))] : [];
  if (chosen) chosenCaveats(ctx, chosen);
  const { missing, caveats, breakEven } = ctx;
  return { status, summary, cheapest: chosen?.id ?? null, evidence, missing, caveats, breakEven };
}

/** No reliable setup meets the requirement: either the data cannot tell, or nothing measured meets it. */
function withoutCheapest(ctx: DecisionContext, runs: AdvisedRun[]): Decision {
  const { rows, meeting, missing, goal, percentile, breakEven } = ctx;
  // Noisy numbers cannot make a setup meet the target, but they can still show it fails:
  // when every eligible setup misses even at the good end of its interval, nothing meets.
  const clearlyFails = rows.length > 0 && rows.every((r) => !r.eligible || (r.targetStatus === 'fails' && !r.meetsRequirement));
  if (meeting.length > 0 || (rows.every((r) => !r.reliable) && !clearlyFails)) {
    const candidate = meeting[0];
    const why = candidate
      ? `${candidate.label} might meet ${goal}, but its measurement cannot carry a verdict ` +
        `(${(candidate.issues[0] ?? 'not reliable').replace(/\.$/, '')})`
      : `no configuration was measured reliably (${(rows[0]?.issues[0] ?? 'not reliable').replace(/\.$/, '')})`;
    if (!candidate) missing.push(`Every configuration's measurement is too uncertain: ${rows.flatMap((r) => r.issues).join(' ')}`);
    missing.push(
      `Measure again on a quiet machine (no other load, performance governor, on mains power) with a longer ${setting('maxTime')}.`,
    );
    return decisionOf(ctx, 'insufficient-data', `Not enough data for a verdict: ${why}.`, null);
  }
  const best = fastest(rows);
  const bestText = best
    ? ` The fastest setup, ${best.row.label}, reaches ${formatMs(best.point.percentileMs + best.point.batchWaitMs)} ` +
      `(${percentile}${best.point.batchWaitMs > 0 ? ' with batch wait' : ''}) at concurrency ${best.point.concurrency}.`
    : '';
  const gpuMissing = runs.map((r) => r.gpuNote).filter((n): n is string => n !== null);
  const tail = breakEven ? ` ${breakEven.explanation}` : gpuMissing.length ? ` ${gpuMissing[0]}` : '';
  const evidence = best ? evidenceFor(best.row, ctx.requirement) : [];
  return { ...decisionOf(ctx, 'nothing-meets', `Nothing measured meets ${goal}.${bestText}${tail}`, null), evidence };
}

/** The cheapest reliable setup runs on a GPU: is the GPU needed, or only worth it? */
function gpuVerdict(ctx: DecisionContext, cheapest: VerdictRow, serving: string): Decision {
  const { cpuRows, meeting, missing, target, goal } = ctx;
  if (cpuRows.length === 0) {
    missing.push(
      'No CPU configuration was measured, so whether a CPU would suffice is unknown: measure the CPU provider too ' +
        `(${setting('providers')}).`,
    );
    const summary = `Not enough data for a verdict: ${serving} Without a CPU measurement Inferscope cannot tell whether the GPU is needed.`;
    return decisionOf(ctx, 'insufficient-data', summary, cheapest);
  }
  const cpuAlternative = meeting.find((r) => r.deviceClass === 'cpu');
  if (cpuAlternative) {
    const instances =
      cpuAlternative.instances !== null && target !== null
        ? ` (${cpuAlternative.instances} instance${cpuAlternative.instances === 1 ? '' : 's'})`
        : '';
    const summary =
      `A GPU is worth it: ${serving} The cheapest CPU setup, ${cpuAlternative.label}, also meets the requirement but costs ` +
      `${formatUsd(cpuAlternative.costPerMillion ?? NaN)} per million${instances}.`;
    return decisionOf(ctx, 'gpu-worth-it', summary, cheapest, [cpuAlternative]);
  }
  const bestCpu = fastest(cpuRows);
  const cpuText = bestCpu
    ? ` (the fastest, ${bestCpu.row.label}, reaches ${formatMs(bestCpu.point.percentileMs + bestCpu.point.batchWaitMs)} at ` +
      `concurrency ${bestCpu.point.concurrency})`
    : '';
  return decisionOf(
    ctx,
    'gpu-needed',
    `A GPU is needed: no CPU setup meets ${goal}${cpuText}; ${serving}`,
    cheapest,
    bestCpu ? [bestCpu.row] : [],
  );
}

function decide(rows: VerdictRow[], requirement: Requirement, prices: ResolvedPrices, runs: AdvisedRun[]): Decision {
  const caveats: string[] = [];
  if (rows.length === 0) {
    const missing = ['No configuration finished with statistics: run a benchmark first (inferscope bench MODEL).'];
    return {
      status: 'insufficient-data',
      summary: `Not enough data for a verdict: ${missing[0]}`,
      cheapest: null,
      evidence: [],
      missing,
      caveats,
      breakEven: null,
    };
  }
  const hasGpu = rows.some((r) => r.deviceClass === 'gpu');
  const cpuRows = rows.filter((r) => r.deviceClass === 'cpu');
  const meeting = rows.filter((r) => r.meetsRequirement).sort(byCost);
  const ctx: DecisionContext = {
    rows,
    requirement,
    target: requirement.throughputRps,
    percentile: watchedPercentile(requirement),
    goal: describeGoal(requirement),
    hasGpu,
    cpuRows,
    meeting,
    missing: [],
    caveats,
    breakEven: computeBreakEven(rows, requirement, prices),
  };
  const cheapest = meeting.filter((r) => r.reliable)[0] ?? null;
  noteUncertainSetups(ctx, cheapest);
  if (!cheapest) return withoutCheapest(ctx, runs);

  const { target } = ctx;
  if (target !== null && cheapest.capacity.singleLevel && (cheapest.instances ?? 0) > 1) {
    const provisional =
      `With one request at a time, ${cheapest.label} would need ${cheapest.instances} instances for ` +
      `${formatRps(target)} (${formatUsd(cheapest.costPerMillion ?? NaN)} per million) — an upper bound.`;
    const summary =
      'Not enough data for a verdict: only one concurrency level was measured, so how much each setup sustains under load is ' +
      `unknown. ${provisional}`;
    return decisionOf(ctx, 'insufficient-data', summary, null);
  }

  const serving = servingText(cheapest, requirement);
  if (cheapest.deviceClass !== 'cpu') return gpuVerdict(ctx, cheapest, serving);
  const gpuAlternative = meeting.find((r) => r.deviceClass === 'gpu');
  let tail = '';
  if (gpuAlternative)
    tail = ` The cheapest GPU setup, ${gpuAlternative.label}, would cost ${formatUsd(gpuAlternative.costPerMillion ?? NaN)} per million.`;
  else if (hasGpu) tail = ` No GPU setup measured meets the requirement.${ctx.breakEven?.gpu ? ` ${ctx.breakEven.explanation}` : ''}`;
  else if (ctx.breakEven) tail = ` ${ctx.breakEven.explanation}`;
  return decisionOf(ctx, 'cpu-suffices', `A GPU is not necessary: ${serving}${tail}`, cheapest);
}

/** "p95 ≤ 50 ms at 200 req/s". */
function describeGoal(requirement: Requirement): string {
  const parts: string[] = [];
  if (requirement.latency) parts.push(formatTarget(requirement.latency));
  if (requirement.throughputRps !== null) parts.push(`${requirement.latency ? 'at ' : ''}${formatRps(requirement.throughputRps)}`);
  return parts.join(' ');
}

/** "CPU with 2 threads, batch 1 meets p95 ≤ 50 ms up to 180 req/s; 2 instances serve 200 req/s at $0.28 per million inferences." */
function servingText(row: VerdictRow, requirement: Requirement): string {
  const cap = row.capacity.maxThroughputRps ?? 0;
  const target = requirement.throughputRps;
  const upTo = `up to ${formatRps(cap)}${row.capacity.atHighestLevel && !row.capacity.singleLevel ? ' (the highest load measured)' : ''}`;
  const first = requirement.latency ? `${row.label} meets ${formatTarget(requirement.latency)} ${upTo}` : `${row.label} serves ${upTo}`;
  if (target === null) return `${first}; fully loaded, one instance costs ${formatUsd(row.costPerMillion ?? NaN)} per million inferences.`;
  const n = row.instances ?? 1;
  return (
    `${first}; ${n} instance${n === 1 ? '' : 's'} serve${n === 1 ? 's' : ''} ${formatRps(target)} at ` +
    `${formatUsd(row.costPerMillion ?? NaN)} per million inferences.`
  );
}

function evidenceFor(row: VerdictRow, requirement: Requirement): string[] {
  const percentile = watchedPercentile(requirement);
  const lines: string[] = [];
  const cap = row.capacity;
  const bracket = cap.concurrency
    ? row.points.filter((p) => p.concurrency === cap.concurrency?.[0] || p.concurrency === cap.concurrency?.[1])
    : row.points.slice(0, 1);
  for (const p of bracket) {
    const ci =
      p.medianCiLowMs === null || p.medianCiHighMs === null ? NO_CI_TEXT : `95 % CI ${formatMedianCi(p.medianCiLowMs, p.medianCiHighMs)}`;
    const median = `median ${formatMs(p.medianMs)} (${ci})`;
    const stable = p.stable ? '' : ', not stable';
    if (requirement.latency === null) {
      lines.push(`${row.label} at concurrency ${p.concurrency}: ${median}, ${formatRps(p.throughputRps)}${stable}.`);
      continue;
    }
    const wait = p.batchWaitMs > 0 ? ` + ${formatMs(p.batchWaitMs)} batch wait` : '';
    const reach =
      p.percentileCiLowMs === null || p.percentileCiHighMs === null
        ? null
        : Math.max(p.percentileMs - p.percentileCiLowMs, p.percentileCiHighMs - p.percentileMs) / p.percentileMs;
    const steadiness =
      reach === null
        ? 'unbounded'
        : reach <= PERCENTILE_STABLE_REL
          ? `±${formatPercent(reach)}, stable`
          : `±${formatPercent(reach)}, not stable`;
    lines.push(
      `${row.label} at concurrency ${p.concurrency}: ${percentile} ${formatMs(p.percentileMs)} (95 % CI ` +
        `${formatMsRange(p.percentileCiLowMs, p.percentileCiHighMs)}, ${steadiness})${wait}, ${median}, ` +
        `${formatRps(p.throughputRps)}${stable}.`,
    );
  }
  if (cap.maxThroughputRps !== null) {
    const how =
      cap.basis === 'interpolated' && cap.concurrency
        ? `interpolated between concurrency ${cap.concurrency[0]} and ${cap.concurrency[1]}`
        : 'a measured level';
    const unchanged = cap.lowRps === cap.maxThroughputRps && cap.highRps === cap.maxThroughputRps;
    const range = !requirement.latency
      ? ''
      : unchanged
        ? ` (the same with the ${percentile} at either end of its CI)`
        : ` (${cap.lowRps === null ? 'none' : formatRps(cap.lowRps)} to ` +
          `${cap.highRps === null ? 'none' : formatRps(cap.highRps)} with the ${percentile} at either end of its CI)`;
    lines.push(`Capacity ${formatRps(cap.maxThroughputRps)}, ${how}${range}.`);
  }
  if (row.costPerMillion !== null && row.instances !== null) {
    const target = requirement.throughputRps;
    const fleet =
      `${row.instances} × ${formatUsd(row.pricePerHour)}/h (${row.priceLabel}) = ` + `${formatUsd(row.instances * row.pricePerHour)}/h`;
    const range =
      row.instancesRange && row.instancesRange[1] !== null && row.instancesRange[1] !== row.instancesRange[0]
        ? `; ${row.instancesRange[1]} instances at the pessimistic end of the CI`
        : '';
    lines.push(
      target === null
        ? `Cost: ${formatUsd(row.pricePerHour)}/h (${row.priceLabel}) at ${formatRps(cap.maxThroughputRps ?? 0)} = ` +
            `${formatUsd(row.costPerMillion)} per million inferences.`
        : `Cost: ${fleet} for ${formatRps(target)} = ${formatUsd(row.costPerMillion)} per million inferences (fully loaded: ` +
            `${formatUsd(row.costPerMillionAtCapacity ?? NaN)})${range}.`,
    );
  }
  if (row.energyPerInferenceJ !== null) {
    const source =
      row.deviceClass === 'gpu' ? "the GPU's power draw (nvidia-smi)" : "the CPU package's energy counters (RAPL, whole package)";
    lines.push(
      `Energy: ${formatJoules(row.energyPerInferenceJ)} per inference from ${source}, ` +
        `${formatUsd(row.electricityPerMillion ?? NaN)} of electricity per million.`,
    );
  }
  return lines;
}

function describeRun(run: RunDocument, label: string, machineName: string): AdvisedRun {
  const hardwareGpu = run.configs.some((c) => isMeasured(c) && isHardwareGpuProvider(run, c.ep));
  let gpuNote: string | null = null;
  if (!hardwareGpu) {
    const hw = run.environment.hardware;
    const software = hw.providers.filter((p) => p.software === true && p.status === 'ready');
    const softwareText = software.length
      ? ` ${software.map((p) => `${p.displayName} runs on ${p.adapter ?? 'a software adapter'}, which is the CPU, not a GPU`).join('; ')}.`
      : '';
    if (hw.gpus.length === 0) {
      gpuNote = `${label}: no GPU was detected on this machine.${softwareText}`;
    } else {
      const gpuProviders = hw.providers.filter((p) => ['cuda', 'tensorrt', 'rocm', 'migraphx', 'dml', 'coreml'].includes(p.name));
      const states = gpuProviders.map((p) => `${p.displayName}: ${p.status}${p.installHint ? ` (${p.installHint})` : ''}`).join(', ');
      gpuNote =
        `${label}: ${hw.gpus.map((g) => g.name).join(', ')} detected, but no configuration ran on a GPU ` +
        `provider${states ? ` (${states})` : ''}.${softwareText}`;
    }
    const usedSoftware = run.configs.some((c) => isMeasured(c) && isSoftwareAdapter(run, c.ep));
    if (usedSoftware && !softwareText) gpuNote += ' The WebGPU configurations ran on a software adapter, not a GPU.';
  }
  return { id: run.id, label, machine: machineLabel(run), machineName, model: run.model.name, hardwareGpu, gpuNote };
}

function assumptionsFor(requirement: Requirement, prices: ResolvedPrices, runs: readonly RunDocument[]): string[] {
  const assumed = (what: 'cpu' | 'gpu' | 'electricity', field: string): string =>
    prices.assumed.includes(what) ? ` (assumed default; set it with ${field})` : ' (given)';
  const lines = [
    `A CPU machine like the one measured costs ${formatUsd(prices.cpuPerHour)} per hour${assumed('cpu', setting('cpuPrice'))}.`,
    `A machine with one GPU costs ${formatUsd(prices.gpuPerHour)} per hour${assumed('gpu', setting('gpuPrice'))}.`,
  ];
  for (const [name, price] of Object.entries(prices.gpuByName))
    lines.push(`A machine with an ${name} GPU costs ${formatUsd(price)} per hour (given).`);
  lines.push(...machinePriceLines(prices, runs));
  lines.push(
    `Electricity costs ${formatUsd(prices.electricityPerKwh)} per kWh${assumed('electricity', setting('electricity'))}; machine prices ` +
      `are taken to include power, so energy cost is shown beside them, not added.`,
    'One instance is one machine like the measured one running the configuration at its measured concurrency; instances add up ' +
      'linearly (no shared bottleneck).',
    'Requests arrive evenly; bursty traffic needs headroom above these capacities.',
    'Between measured concurrency levels, latency and throughput are interpolated linearly; nothing is extrapolated beyond the ' +
      'highest level measured.',
  );
  if (requirement.throughputRps === null) {
    lines.push(
      'No throughput was given: costs are per inference with one instance fully loaded at its capacity; at low traffic the ' +
        'machine that is cheaper per hour wins.',
    );
  }
  if (requirement.latency === null) lines.push('There is no latency bound: batches may wait as long as they need to fill.');
  else if (requirement.maxBatchDelayMs > 0) {
    lines.push(
      `A request in a batch of b waits for b − 1 others, (b − 1) / arrival rate per instance, at most ` +
        `${formatMs(requirement.maxBatchDelayMs)}; that wait counts towards its latency.`,
    );
  } else lines.push('No batching delay is allowed, so only batch-1 configurations are eligible.');
  if (requirement.latency) {
    lines.push(
      `The ${requirement.latency.percentile} is per request, ${PERCENTILE_METHOD}; its 95 % CI comes from order statistics of ` +
        `the samples (distribution-free). "Meets" uses the estimate; "borderline" where the CI straddles the target.`,
    );
  }
  lines.push(
    `A configuration carries a verdict only when warm-up was stable and its median's 95 % CI is within ` +
      `±${VERDICT_MAX_CI_HALF_WIDTH * 100} %.`,
  );
  if (machinesDiffer(runs)) {
    const unpriced = runs.some((run) => Object.keys(prices.byMachine).length === 0 || !pricedMachine(prices, run));
    lines.push(
      unpriced
        ? 'The runs come from different machines; one without a price of its own is priced as a CPU or GPU machine above, ' +
            'the same for all: give each machine its price per hour to weigh them apart.'
        : 'The runs come from different machines, each priced as given for it.',
    );
  }
  return lines;
}

/** The run's machine has a price of its own (by its id or name). */
function pricedMachine(prices: ResolvedPrices, run: RunDocument): boolean {
  const key = machineKeyOf(run);
  return key !== null && machinePrice(prices, { id: key, name: run.machine?.name ?? LOCAL_MACHINE_NAME }) !== null;
}

/** "Setups measured on gpu-box are priced as a machine like it: $0.90 per hour (given)." for each machine priced. */
function machinePriceLines(prices: ResolvedPrices, runs: readonly RunDocument[]): string[] {
  const names = machineNames(runs);
  const seen = new Set<string>();
  const lines: string[] = [];
  runs.forEach((run, i) => {
    const key = machineKeyOf(run);
    const name = names[i] ?? machineLabel(run);
    if (key === null || seen.has(key)) return;
    seen.add(key);
    const price = machinePrice(prices, { id: key, name });
    if (price !== null) lines.push(`Every setup measured on ${name} is priced as a machine like it: ${formatUsd(price)} per hour (given).`);
  });
  return lines;
}
