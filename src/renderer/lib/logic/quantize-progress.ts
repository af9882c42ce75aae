import type { QuantizeMode } from '../../../shared/domain/quantize';
import type { QuantizeProgress } from '../../../shared/domain/variant';

export type QuantizeStage = QuantizeProgress['stage'];

export const STAGE_LABEL: Record<QuantizeStage, string> = {
  load: 'Reading the model',
  prepare: 'Preparing the graph',
  calibrate: 'Calibrating',
  transform: 'Transforming',
  verify: 'Loading the result in onnxruntime',
  evaluate: 'Comparing outputs with the original',
  save: 'Saving the variant',
};

const ALL_STAGES: readonly QuantizeStage[] = ['load', 'prepare', 'calibrate', 'transform', 'verify', 'evaluate', 'save'];

/** The steps a job of this mode goes through: only int8 static calibrates. */
export function stagesFor(mode: QuantizeMode): QuantizeStage[] {
  return ALL_STAGES.filter((stage) => stage !== 'calibrate' || mode === 'int8-static');
}

/**
 * The whole job's share done, 0–1: finished steps count whole, the current one by its own
 * fraction when the services know it (calibration batches, evaluation samples), else half.
 */
export function jobFraction(mode: QuantizeMode, progress: Pick<QuantizeProgress, 'stage' | 'fraction'> | null): number {
  if (!progress) return 0;
  const stages = stagesFor(mode);
  const index = stages.indexOf(progress.stage);
  if (index < 0) return 0;
  const within = progress.fraction ?? 0.5;
  return Math.min(1, (index + Math.min(1, Math.max(0, within))) / stages.length);
}
