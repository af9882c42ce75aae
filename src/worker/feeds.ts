/** Input tensors for a session, built from its input metadata. */
import * as ort from 'onnxruntime-node';
import { InferscopeError } from '../shared/errors';
import {
  inputRng,
  randomInputData,
  resolveInputShape,
  userInputData,
  valueInputData,
  zeroInputData,
  type InputData,
  type ShapeRules,
} from '../core/bench/inputs';
import type { InputSpec } from '../core/bench/measurement';
import { batchSetsAxis } from '../shared/domain/batch';
import { chooseInputValue, formatInputValue, inputRequiredMessage, type InputSource } from '../shared/domain/input-values';

export interface ResolvedInput {
  name: string;
  type: string;
  shape: number[];
  source: InputSource;
  /** The value given or the stated default ("16000", "zeros (a recurrent state starts at zero)"). */
  value?: string;
  /** The run's batch size set this input's first axis (symbolic, not a named dim): its fed size is the items one run answers. */
  batchAxis: boolean;
}

function tensorInputs(session: ort.InferenceSession): ort.InferenceSession.TensorValueMetadata[] {
  return session.inputMetadata.map((input) => {
    if (!input.isTensor) {
      throw new InferscopeError('INPUT_INVALID', `Input ${input.name} is not a tensor (sequences and maps are not supported).`);
    }
    return input;
  });
}

function toTensor(type: string, data: InputData, shape: number[]): ort.Tensor {
  return new ort.Tensor(type as ort.Tensor.Type, data as never, shape);
}

/** All-zero inputs with every symbolic dimension 1: what a probe needs to run a model once. */
export function zeroFeeds(session: ort.InferenceSession): Record<string, ort.Tensor> {
  const rules: ShapeRules = { batch: 1, dims: {}, defaultDim: 1 };
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of tensorInputs(session)) {
    const shape = resolveInputShape(input.shape, rules);
    const data = zeroInputData(input.type, shape, input.name);
    feeds[input.name] = toTensor(input.type, data, shape);
  }
  return feeds;
}

/** The benchmark's inputs: the user's tensors where given, given values and stated defaults, seeded random data elsewhere. */
export function benchFeeds(
  session: ort.InferenceSession,
  spec: InputSpec,
  batch: number,
): { feeds: Record<string, ort.Tensor>; inputs: ResolvedInput[] } {
  const rules: ShapeRules = { batch, dims: spec.dims, defaultDim: spec.defaultDim };
  const given = new Map(spec.tensors.map((t) => [t.name, t]));
  const known = new Set(session.inputNames);
  for (const name of [...given.keys(), ...Object.keys(spec.values)]) {
    if (!known.has(name))
      throw new InferscopeError('INPUT_INVALID', `The model has no input named ${name} (inputs: ${session.inputNames.join(', ')}).`);
  }
  const feeds: Record<string, ort.Tensor> = {};
  const inputs: ResolvedInput[] = [];
  for (const input of tensorInputs(session)) {
    const batchAxis = batchSetsAxis(input.shape, spec.dims);
    const user = given.get(input.name);
    if (user) {
      if (user.type !== input.type) {
        throw new InferscopeError('INPUT_INVALID', `Input ${input.name} takes ${input.type}; the tensor given is ${user.type}.`);
      }
      feeds[input.name] = toTensor(input.type, userInputData(user.type, user.dims, user.data, user.name), [...user.dims]);
      const file = spec.values[input.name];
      const source = file?.kind === 'file' ? { source: 'file' as const, value: formatInputValue(file) } : { source: 'user' as const };
      inputs.push({ name: input.name, type: input.type, shape: [...user.dims], ...source, batchAxis });
      continue;
    }
    const shape = resolveInputShape(input.shape, rules, input.name);
    const rng = inputRng(spec.seed, input.name);
    const chosen = chooseInputValue(input.name, input.type, input.shape.length, spec.values);
    if ('required' in chosen) throw new InferscopeError('INPUT_REQUIRED', inputRequiredMessage([input.name]));
    if (chosen.value) {
      feeds[input.name] = toTensor(input.type, valueInputData(input.type, shape, chosen.value, rng, input.name), shape);
      const value = chosen.stated ?? formatInputValue(chosen.value);
      inputs.push({ name: input.name, type: input.type, shape, source: chosen.value.kind, value, batchAxis });
    } else {
      feeds[input.name] = toTensor(input.type, randomInputData(input.type, shape, rng, spec.intRange, input.name), shape);
      inputs.push({ name: input.name, type: input.type, shape, source: 'random', batchAxis });
    }
  }
  return { feeds, inputs };
}
