import type { ModelSource } from '../../../shared/domain/app';
import type { LayerQuality, QuantizeOptions, QuantizeReport } from '../../../shared/domain/quantize';
import type { Variant } from '../../../shared/domain/variant';
import { buildCalibration, DEFAULT_EVALUATION_SAMPLES, type DataDraft, type QuantizeField, type RequestBuild } from './quantize-options';
import { parseInputValues } from '../../../shared/domain/input-values';

/** How many of the worst layers a variant row lists. */
export const WORST_LAYERS_SHOWN = 10;

/** The counts offered for "exclude the worst N". */
const EXCLUDE_COUNTS: readonly number[] = [1, 2, 3, 5, 10];
const MOST_EXCLUDED = 10;

export const LAYER_SQNR_EXPLAINED =
  "SQNR of the layer's output against the original's, on the same inputs. Cumulative: it includes what every layer before it " +
  'lost, so the first sharp drop matters more than the lowest number.';

/** The worst layers of a report, worst first (the services rank them). */
export function worstLayers(report: Pick<QuantizeReport, 'layers'>, count: number = WORST_LAYERS_SHOWN): LayerQuality[] {
  return (report.layers ?? []).slice(0, count);
}

/** Layers the variant transformed, worst first: only excluding those changes anything. */
export function exclusionCandidates(report: Pick<QuantizeReport, 'layers'>): LayerQuality[] {
  return (report.layers ?? []).filter((layer) => layer.quantized);
}

/** The "exclude the worst N" choices there are enough transformed layers for. */
export function excludeCounts(candidates: number): number[] {
  const counts = EXCLUDE_COUNTS.filter((n) => n <= candidates);
  if (candidates > 0 && candidates < MOST_EXCLUDED && !counts.includes(candidates)) counts.push(candidates);
  return counts;
}

/** The nodes "exclude the worst N" keeps in float. */
export function worstToExclude(report: Pick<QuantizeReport, 'layers'>, count: number): string[] {
  return exclusionCandidates(report)
    .slice(0, Math.max(0, count))
    .map((layer) => layer.node);
}

/** The variant's options with `nodes` added to its exclude list (and taken out of its include list). */
export function optionsExcluding(options: QuantizeOptions, nodes: readonly string[]): QuantizeOptions {
  const exclude = [...new Set([...(options.exclude ?? []), ...nodes])];
  const next: QuantizeOptions = { ...options, exclude };
  if (options.include) {
    const include = options.include.filter((name) => !nodes.includes(name));
    if (include.length > 0) next.include = include;
    else delete next.include;
  }
  return next;
}

/**
 * The request that makes the variant again without its worst layers: the variant's own options
 * plus the exclusions, on the inputs the form describes now (a variant keeps how many inputs it
 * used, not where they came from).
 */
export function requantizeRequest(input: {
  variant: Pick<Variant, 'options'>;
  nodes: readonly string[];
  source: ModelSource;
  data: DataDraft;
  evaluationSamples: string;
  /** The Quantize view's input values, so the new variant is fed as the first one was. */
  inputValues?: string;
  /** Automatic exclusion: the services choose the layers, so none need be given here. */
  auto?: boolean;
}): RequestBuild {
  const errors: Partial<Record<QuantizeField, string>> = {};
  if (input.nodes.length === 0 && !input.auto) return { ok: false, errors: { include: 'No transformed layer to exclude' } };
  const built = buildCalibration(input.data);
  Object.assign(errors, built.errors);
  const text = input.evaluationSamples.trim();
  const evaluationSamples = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(evaluationSamples >= 1 && evaluationSamples <= 1000)) errors.evaluationSamples = 'A whole number from 1 to 1000';
  const values = parseInputValues(input.inputValues ?? '');
  if (!values.ok) errors.inputValues = values.error;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    request: {
      source: input.source,
      options: optionsExcluding(input.variant.options, input.nodes),
      calibration: built.calibration,
      evaluationSamples: Number.isFinite(evaluationSamples) ? evaluationSamples : DEFAULT_EVALUATION_SAMPLES,
      ...(values.ok && Object.keys(values.values).length > 0 ? { inputValues: values.values } : {}),
    },
  };
}
