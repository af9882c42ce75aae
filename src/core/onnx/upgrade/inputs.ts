/**
 * Attributes that later opsets take as inputs: Clip's bounds (opset 11), Slice's ranges (10),
 * TopK's k (10), Pad's pads and value (11), Reshape's shape (5), Dropout's ratio (12), and the
 * axes of Squeeze, Unsqueeze, ReduceSum and the sizes of Split (13). Each becomes an initializer
 * of the node's own graph, with exactly the values and element type the newer schema reads.
 */
import { DataType } from '../codec';
import { intsOf, type NodeEdit } from './context';

/** Clip-11: min and max are optional scalar inputs of the input's type; an absent bound stays absent. */
export function clipBoundsToInputs(edit: NodeEdit): void {
  const min = edit.take('min');
  const max = edit.take('max');
  if (!min && !max) return;
  const type = edit.inputShape(0)?.dtype;
  if (min) edit.setInput(1, edit.floatScalar('min', type ?? DataType.UNDEFINED, min.f ?? 0, 'a scalar min input'));
  if (max) edit.setInput(2, edit.floatScalar('max', type ?? DataType.UNDEFINED, max.f ?? 0, 'a scalar max input'));
  edit.note(min && max ? 'min/max attributes → inputs' : min ? 'min attribute → input' : 'max attribute → input (min left empty)');
}

/** Slice-10: starts, ends and axes attributes → int64 inputs (steps stay absent: 1). */
export function sliceRangesToInputs(edit: NodeEdit): void {
  const starts = edit.take('starts');
  const ends = edit.take('ends');
  const axes = edit.take('axes');
  if (!starts || !ends) edit.refuse('has no starts/ends attributes');
  edit.setInput(1, edit.int64Constant('starts', intsOf(starts)));
  edit.setInput(2, edit.int64Constant('ends', intsOf(ends)));
  if (axes) edit.setInput(3, edit.int64Constant('axes', intsOf(axes)));
  edit.note(axes ? 'starts/ends/axes attributes → inputs' : 'starts/ends attributes → inputs');
}

/** Squeeze/Unsqueeze-13: the axes attribute → an int64 input (no attribute: Squeeze drops every size-1 axis). */
export function axesToInput(edit: NodeEdit): void {
  const axes = edit.take('axes');
  if (!axes) {
    if (edit.op === 'Unsqueeze') edit.refuse('has no axes attribute');
    return;
  }
  edit.setInput(1, edit.int64Constant('axes', intsOf(axes)));
  edit.note('axes attribute → input');
}

/**
 * ReduceSum-13: axes → input. An absent or empty axes list reduced everything before; with no
 * axes input and noop_with_empty_axes at its default 0 it still does. keepdims stays an attribute.
 */
export function reduceSumAxesToInput(edit: NodeEdit): void {
  const axes = edit.take('axes');
  const values = axes ? intsOf(axes) : [];
  if (values.length === 0) {
    if (axes) edit.note('empty axes attribute removed (still reduces every axis)');
    return;
  }
  edit.setInput(1, edit.int64Constant('axes', values));
  edit.note('axes attribute → input');
}

/** Split-2 dropped the optional second input of Split-1 (the sizes as a tensor). */
export function splitOneInput(edit: NodeEdit): void {
  if (edit.input(1)) edit.refuse('reads its split sizes from a second input, which Split no longer takes until opset 13');
  if (edit.attribute('axis') === undefined) {
    edit.setInt('axis', 0);
    edit.note('axis made explicit (0)');
  }
}

/** Split-13: the split attribute → an int64 input; no attribute means equal parts, and no input. */
export function splitSizesToInput(edit: NodeEdit): void {
  const split = edit.take('split');
  if (!split) return;
  edit.setInput(1, edit.int64Constant('split', intsOf(split)));
  edit.note('split attribute → input');
}

/** TopK-10: the k attribute → a one-element int64 input. */
export function topKToInput(edit: NodeEdit): void {
  const k = edit.take('k');
  if (!k) edit.refuse('has no k attribute');
  edit.setInput(1, edit.int64Constant('k', [edit.int64Of(k)]));
  edit.note('k attribute → input');
}

/** Pad-2 renamed Pad-1's paddings attribute to pads. */
export function padRenamePaddings(edit: NodeEdit): void {
  const paddings = edit.take('paddings');
  if (!paddings) return;
  edit.node.attribute = [...(edit.node.attribute ?? []), { ...paddings, name: 'pads' }];
  edit.note('paddings attribute renamed pads');
}

/** Pad-11: pads → an int64 input; value → a constant_value input of the data's type (constant mode only). */
export function padToInputs(edit: NodeEdit): void {
  const pads = edit.take('pads');
  const value = edit.take('value');
  if (!pads) edit.refuse('has no pads attribute');
  edit.setInput(1, edit.int64Constant('pads', intsOf(pads)));
  const mode = edit.attribute('mode');
  const constantMode = !mode?.s || new TextDecoder().decode(mode.s) === 'constant';
  const fill = value?.f ?? 0;
  // 0 is constant_value's default: no input needed, whatever the element type.
  if (constantMode && fill !== 0) {
    const type = edit.inputShape(0)?.dtype ?? DataType.UNDEFINED;
    edit.setInput(2, edit.floatScalar('value', type, fill, 'a constant_value input'));
    edit.note('pads/value attributes → inputs');
  } else {
    edit.note('pads attribute → input');
  }
}

/** Reshape-5: the shape attribute → an int64 input. */
export function reshapeShapeToInput(edit: NodeEdit): void {
  edit.take('consumed_inputs');
  const shape = edit.take('shape');
  if (!shape) {
    if (!edit.input(1)) edit.refuse('has no shape');
    return;
  }
  edit.setInput(1, edit.int64Constant('shape', intsOf(shape)));
  edit.note('shape attribute → input');
}

/** Dropout-7 removed is_test (inference is the only mode Inferscope runs). */
export function dropoutDropIsTest(edit: NodeEdit): void {
  if (edit.take('is_test')) edit.note('is_test attribute removed');
}

/**
 * Dropout's mask in inference changed meaning: a float tensor before opset 10, then a bool one
 * that onnxruntime fills with false up to opset 11 and with true from opset 12. A mask nobody
 * reads is dropped; a read one is refused.
 */
export function dropoutUnreadMask(edit: NodeEdit): void {
  if ((edit.node.output ?? []).length < 2) return;
  if (edit.outputUsed(1)) edit.refuse('reads its mask output, whose inference value changed at opsets 10 and 12');
  edit.keepOutputs(1);
  edit.note('unused mask output removed');
}

/** Dropout-12: the ratio attribute → an optional float input (training_mode stays absent: inference). */
export function dropoutRatioToInput(edit: NodeEdit): void {
  dropoutUnreadMask(edit);
  const ratio = edit.take('ratio');
  if (!ratio) return;
  edit.setInput(1, edit.floatScalar('ratio', DataType.FLOAT, ratio.f ?? 0.5, 'a ratio input'));
  edit.note('ratio attribute → input');
}
