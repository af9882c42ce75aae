/**
 * Softmax, LogSoftmax and Hardmax before opset 13 flatten their input to 2-D at `axis` (default
 * 1) and normalize each row: over C·H·W at once for an NCHW tensor. From opset 13 they normalize
 * along one axis (default -1). When the old axis is the last one the two agree; otherwise the
 * old meaning is kept exactly by Shape + Flatten(axis) → op(axis=-1) → Reshape back.
 */
import { AttributeType } from '../codec';
import type { NodeEdit } from './context';

export function softmaxPerAxis(edit: NodeEdit): void {
  const axis = edit.int('axis') ?? 1;
  const rank = edit.inputRank(0);
  // Flattening at -1 keeps the last axis as the rows' length whatever the rank.
  if (axis === -1 || (rank !== undefined && axis === rank - 1)) {
    edit.setInt('axis', -1);
    edit.note(`axis ${axis} is the last axis: set axis=-1`);
    return;
  }
  const input = edit.input(0);
  const output = (edit.node.output ?? [])[0];
  if (!output) edit.refuse('has no output');
  const shape = edit.addBefore('Shape', [input], 'shape');
  const flat = edit.addBefore('Flatten', [input], 'flatten', [{ name: 'axis', type: AttributeType.INT, i: axis }]);
  const rows = edit.fresh('rows');
  edit.node.input = [flat, ...(edit.node.input ?? []).slice(1)];
  edit.node.output = [rows];
  edit.setInt('axis', -1);
  edit.after.push({ name: edit.fresh('reshape'), op_type: 'Reshape', input: [rows, shape], output: [output] });
  const where = rank === undefined ? 'rank unknown' : `rank ${rank}`;
  edit.note(`axis ${axis} (${where}): Flatten → ${edit.op}(axis=-1) → Reshape keeps the flattened meaning`);
}
