/**
 * Realistic synthetic inputs of the sample models, by sample name: what their quality figures are
 * measured on when the user gives no data. Kept apart from the model builders, so a job that only
 * needs the data does not load them.
 */
import { digitData } from './digits';
import { pictureData } from './images';
import { tabularData } from './tabular';
import { tokenData } from './tokens';
import type { SyntheticData } from './types';

export type { SyntheticData, SyntheticTensorData } from './types';

/** The transformer-encoder sample's vocabulary (its input_ids value range is 0 … 999). */
const ENCODER_VOCABULARY = 1000;

const SYNTHETIC: Readonly<Record<string, SyntheticData>> = {
  'mnist-cnn': digitData('input'),
  mlp: tabularData('features'),
  'resnet-mini': pictureData('input'),
  'transformer-encoder': tokenData(ENCODER_VOCABULARY, 'input_ids', 'attention_mask'),
  'vgg-small': pictureData('input'),
};

/** The synthetic data of a sample model, or null for a name that is not one. */
export function syntheticDataFor(sample: string): SyntheticData | null {
  return Object.prototype.hasOwnProperty.call(SYNTHETIC, sample) ? (SYNTHETIC[sample] as SyntheticData) : null;
}

/** Metadata key the sample models carry (src/core/zoo/samples/common.ts). */
export const SAMPLE_METADATA_KEY = 'inferscope.sample';
