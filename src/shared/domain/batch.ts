/**
 * Which batch sizes a run can feed. The batch is the leading axis of an input when that axis is
 * symbolic (a name, or unknown) and no named dimension of the run sets it: a configuration's batch
 * size then sets it. A model whose inputs all begin with a fixed number has no axis to set, so a
 * batch size above 1 would silently run the model's own batch and misreport items per second.
 * Shared by the services (which refuse such a plan) and the plan form (which says so first).
 */

/** An input as inspection declares it; `null` shape = rank unknown. */
export interface DeclaredInput {
  name: string;
  shape: ReadonlyArray<number | string> | null;
}

/** Named symbolic dimensions the run sets itself (the user's --dim values, the inspection's defaults). */
export type NamedDims = Readonly<Record<string, number>>;

export interface BatchRefusal {
  /** BATCH_UNSUPPORTED: the model's first axes are fixed. PLAN_INVALID: the plan's own dims set them. */
  code: 'BATCH_UNSUPPORTED' | 'PLAN_INVALID';
  message: string;
}

/** A dimension fixed by the model itself, which no batch size or --dim changes. */
function isFixedDim(dim: number | string): boolean {
  return typeof dim === 'number' && Number.isInteger(dim) && dim >= 0;
}

/** True when the run's batch size sets this input's first axis: symbolic (or unknown) and not named in `dims`. */
export function batchSetsAxis(shape: ReadonlyArray<number | string>, dims: NamedDims = {}): boolean {
  const first = shape[0];
  if (first === undefined || isFixedDim(first)) return false;
  return !(typeof first === 'string' && first !== '' && dims[first] !== undefined);
}

/**
 * Whether a batch size above 1 reaches the model: some input's first axis is set by it, or some
 * input's rank is unknown (nothing proves it cannot, and items per run are counted from what is fed).
 */
export function takesBatches(inputs: readonly DeclaredInput[], dims: NamedDims = {}): boolean {
  return inputs.some((input) => input.shape === null || batchSetsAxis(input.shape, dims));
}

/**
 * Why some of `batches` cannot be fed to a model with these inputs, or null when all can. Batch 1
 * always can: it is what a model without a batch axis runs.
 */
export function batchRefusal(inputs: readonly DeclaredInput[], batches: readonly number[], dims: NamedDims = {}): BatchRefusal | null {
  const refused = batches.filter((batch) => batch > 1);
  if (refused.length === 0 || takesBatches(inputs, dims)) return null;
  const sizes = `Batch size${refused.length === 1 ? '' : 's'} ${refused.join(', ')} cannot be measured`;
  const pinned = inputs.find((input) => input.shape !== null && batchSetsAxis(input.shape));
  if (pinned) {
    const name = String(pinned.shape?.[0]);
    return {
      code: 'PLAN_INVALID',
      message:
        `${sizes}: input '${pinned.name}' [${pinned.shape?.join(', ')}] has its first axis '${name}' set to ${dims[name]} by the ` +
        `plan's dimensions, so the batch size cannot set it; leave '${name}' unset to measure batch sizes.`,
    };
  }
  return {
    code: 'BATCH_UNSUPPORTED',
    message: `${sizes}: ${fixedBatchReason(inputs)}; export it with a dynamic batch axis to measure larger batches.`,
  };
}

/** What stops the batch, in the person's words: "input 'x' [1, 4] has its first axis fixed at 1: this model takes batch 1 only". */
export function fixedBatchReason(inputs: readonly DeclaredInput[]): string {
  const shaped = inputs.find((input) => input.shape !== null && input.shape.length > 0) ?? inputs[0];
  if (!shaped) return 'this model has no inputs: it takes batch 1 only';
  const shape = shaped.shape ?? [];
  const where =
    shape.length === 0
      ? `input '${shaped.name}' is a scalar`
      : `input '${shaped.name}' [${shape.join(', ')}] has its first axis fixed at ${shape[0]}`;
  return `${where}: this model takes batch 1 only`;
}
