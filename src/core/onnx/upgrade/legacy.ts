/**
 * Changes from the first opsets (1–9): attributes that were dropped (consumed_inputs, is_test,
 * spatial, output_sequence), Caffe-style broadcasting (broadcast/axis) that became numpy
 * broadcasting at opset 7, attributes whose type or default changed, and deprecated operators
 * with a same-meaning successor (Scatter → ScatterElements).
 */
import { AttributeType } from '../codec';
import type { NodeEdit } from './context';

/** Opset 6 removed consumed_inputs from every operator that had it (it never changed results). */
export function dropConsumedInputs(edit: NodeEdit): void {
  if (edit.take('consumed_inputs')) edit.note('consumed_inputs attribute removed');
}

/**
 * Opset 7 replaced broadcast/axis with numpy broadcasting. broadcast=1 with an axis lines B up
 * with A starting at that axis; numpy lines it up at the end, so B gains trailing size-1 axes.
 */
export function broadcastToNumpy(edit: NodeEdit): void {
  const broadcast = edit.take('broadcast');
  const axisAttribute = edit.take('axis');
  if (!broadcast && !axisAttribute) return;
  if (broadcast && edit.int64Of(broadcast) !== 0n && axisAttribute) {
    const rankA = edit.inputRank(0);
    const rankB = edit.inputRank(1);
    const axis = Number(edit.int64Of(axisAttribute));
    if (rankA === undefined || rankB === undefined) {
      edit.refuse(`broadcasts its second input from axis ${axis}, but the inputs' ranks are unknown`);
    }
    const trailing = rankA - (axis < 0 ? axis + rankA : axis) - rankB;
    if (trailing < 0) edit.refuse(`broadcasts a rank-${rankB} input from axis ${axis} of a rank-${rankA} input`);
    if (trailing > 0) {
      const axes = Array.from({ length: trailing }, (_, i) => rankB + i);
      const unsqueezed = edit.addBefore('Unsqueeze', [edit.input(1), edit.int64Constant('axes', axes)], 'unsqueeze');
      edit.setInput(1, unsqueezed);
      edit.note(`second input unsqueezed on axes [${axes.join(', ')}] to broadcast from axis ${axis}`);
    }
  }
  edit.note('broadcast/axis attributes removed (numpy broadcasting)');
}

/** Gemm-7 always broadcasts C one way; the broadcast attribute went away. */
export function gemmDropBroadcast(edit: NodeEdit): void {
  if (edit.take('broadcast')) edit.note('broadcast attribute removed (C broadcasts one way)');
}

/**
 * BatchNormalization lost consumed_inputs (6), is_test (7) and spatial (9). spatial=0 (one
 * mean per element) has no later form. Training outputs (running and saved statistics) are
 * dropped when nothing reads them; read ones would change meaning.
 */
export function batchNormForInference(edit: NodeEdit): void {
  const removed: string[] = [];
  if (edit.take('consumed_inputs')) removed.push('consumed_inputs');
  if (edit.take('is_test')) removed.push('is_test');
  const spatial = edit.take('spatial');
  if (spatial) {
    if (edit.int64Of(spatial) !== 1n) edit.refuse(`uses spatial=${edit.int64Of(spatial)}, which has no opset-13 equivalent`);
    removed.push('spatial');
  }
  if (removed.length > 0) edit.note(`${removed.join('/')} attribute${removed.length > 1 ? 's' : ''} removed`);
  const outputs = edit.node.output ?? [];
  if (outputs.length <= 1) return;
  for (let i = 1; i < outputs.length; i++) {
    if (edit.outputUsed(i)) edit.refuse(`reads its training output ${i} (running or saved statistics), which inference does not compute`);
  }
  edit.keepOutputs(1);
  edit.note('unused training outputs removed');
}

/** Cast-6 takes `to` as an element type number; Cast-1 spelled it as a string. */
export function castNumericTo(edit: NodeEdit): void {
  const to = edit.attribute('to');
  if (to && (to.type === AttributeType.STRING || (to.s && to.s.length > 0))) {
    edit.refuse("names its target type as a string ('to'), which is not converted");
  }
}

/** Concat-4 requires axis; before, it defaulted to 1. */
export function concatExplicitAxis(edit: NodeEdit): void {
  if (edit.attribute('axis') !== undefined) return;
  edit.setInt('axis', 1);
  edit.note('axis made explicit (1, the old default)');
}

/** LpPool-2 and GlobalLpPool-2 take p as an integer; it was a float. */
export function lpPoolIntegerP(edit: NodeEdit): void {
  const p = edit.attribute('p');
  if (!p || p.type === AttributeType.INT) return;
  const value = p.f ?? 2;
  if (!Number.isInteger(value)) edit.refuse(`uses p=${value}; from opset 2 p is an integer`);
  edit.setInt('p', value);
  edit.note('p attribute float → int');
}

/** RNN, GRU and LSTM at opset 7 dropped output_sequence (Y is produced when its output is named). */
export function recurrentDropOutputSequence(edit: NodeEdit): void {
  if (edit.take('output_sequence')) edit.note('output_sequence attribute removed');
}

/** Scatter (deprecated at 11) is ScatterElements with the same attributes and meaning. */
export function scatterToElements(edit: NodeEdit): void {
  edit.node.op_type = 'ScatterElements';
  edit.note('Scatter → ScatterElements');
}

/** Scan-8 had a batch axis and a sequence_lens input; Scan-9 has neither. */
export function refuseScanWithBatch(edit: NodeEdit): void {
  edit.refuse('is the opset-8 Scan with a batch axis, which is not converted');
}

/** Tile-1 took one axis and a count as inputs; Tile-6 takes repeats for every axis. */
export function refuseOldTile(edit: NodeEdit): void {
  edit.refuse('is the opset-1 Tile (tiles and axis inputs), which is not converted');
}
