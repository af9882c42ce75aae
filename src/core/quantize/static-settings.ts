/**
 * The choices static int8 makes where the options leave them open (docs/quantization.md#type-choices):
 * int8 or uint8 activations and reduce range from the CPU the job runs on, weight symmetry from the
 * weight type, and the calibration method's parameters.
 */
import { inferenceFlags, isArm, isX86 } from '../hardware/cpu-isa';
import type { QuantizeCpu } from '../../shared/domain/quantize';
import { DEFAULT_HISTOGRAM_BINS, DEFAULT_PERCENTILE, type CalibrationSettings } from './calibrate';
import { isSignedQuantType } from './math';
import type { TransformOptions } from './types';

export interface Int8Types {
  activationType: 'int8' | 'uint8';
  weightType: 'int8' | 'uint8';
  reduceRange: boolean;
  /** Why these, for the report. */
  reason: string;
}

/**
 * ORT's CPU guidance: x86 without VNNI multiplies u8×s8 in 16-bit lanes that can saturate, so
 * uint8 activations with 7-bit weights; with VNNI (AVX512-VNNI or AVX-VNNI) and on ARM, int8 both.
 */
export function chooseInt8Types(cpu: QuantizeCpu | undefined): Int8Types {
  if (!cpu)
    return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: 'CPU not given: int8 activations and weights' };
  if (isArm(cpu.arch))
    return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: 'ARM: int8 activations and weights' };
  if (isX86(cpu.arch)) {
    const present = new Set(
      inferenceFlags(cpu.arch, cpu.flags)
        .filter((f) => f.present)
        .map((f) => f.name),
    );
    if (present.has('avx512_vnni') || present.has('avx_vnni')) {
      return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: 'x86 with VNNI: int8 activations and weights' };
    }
    return {
      activationType: 'uint8',
      weightType: 'int8',
      reduceRange: true,
      reason: 'x86 without VNNI: uint8 activations, int8 weights with reduce_range (avoids u8×s8 saturation)',
    };
  }
  return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: `${cpu.arch}: int8 activations and weights` };
}

export interface StaticSettings extends Int8Types {
  perChannel: boolean;
  weightSymmetric: boolean;
  calibration: CalibrationSettings;
}

export function staticSettingsFrom(options: Partial<TransformOptions>): StaticSettings {
  const chosen = chooseInt8Types(options.cpu);
  const weightType = options.weightType ?? chosen.weightType;
  const method = options.calibrationMethod ?? 'minmax';
  return {
    activationType: options.activationType ?? chosen.activationType,
    weightType,
    reduceRange: options.reduceRange ?? chosen.reduceRange,
    reason: chosen.reason,
    perChannel: options.perChannel ?? false,
    weightSymmetric: options.symmetric ?? isSignedQuantType(weightType),
    calibration: {
      method,
      movingAverage: method === 'minmax' && (options.movingAverage ?? false),
      bins: options.bins ?? DEFAULT_HISTOGRAM_BINS,
      percentile: options.percentile ?? DEFAULT_PERCENTILE,
    },
  };
}
