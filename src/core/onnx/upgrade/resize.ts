/**
 * Upsample (deprecated at opset 10) and the Resize of opsets 10–12, rewritten as the opset-13
 * Resize that computes the same pixels. Before opset 11 there was one coordinate mapping,
 * x_original = x_resized / scale ("asymmetric"); nearest picked floor(x_original) when enlarging
 * and ceil(x_original) when shrinking (what onnxruntime does for these versions).
 */
import { bytesToString } from '../codec';
import type { NodeEdit } from './context';

function stringAttribute(edit: NodeEdit, name: string, fallback: string): string {
  const a = edit.attribute(name);
  return a?.s ? bytesToString(a.s) : fallback;
}

/** Upsample of any opset → Resize-13 (X, roi absent, scales). */
export function upsampleToResize(edit: NodeEdit): void {
  const mode = stringAttribute(edit, 'mode', 'nearest');
  const linear = mode === 'linear' || mode === 'bilinear';
  if (!linear && mode !== 'nearest') edit.refuse(`uses mode '${mode}', which Resize does not have`);
  const scalesAttribute = edit.take('scales');
  const width = edit.take('width_scale');
  const height = edit.take('height_scale');
  let scales = edit.input(1);
  let from = 'scales input';
  if (!scales && scalesAttribute) {
    scales = edit.floatConstant('scales', [...(scalesAttribute.floats ?? [])]);
    from = 'scales attribute';
  } else if (!scales && width && height) {
    const rank = edit.inputRank(0);
    if (rank !== undefined && rank !== 4) edit.refuse(`scales a rank-${rank} input by width/height, which only NCHW inputs allow`);
    scales = edit.floatConstant('scales', [1, 1, height.f ?? 1, width.f ?? 1]);
    from = 'width/height scales';
  }
  if (!scales) edit.refuse('has no scales');
  edit.node.op_type = 'Resize';
  edit.node.input = [edit.input(0), '', scales];
  edit.node.attribute = [];
  edit.setString('mode', linear ? 'linear' : 'nearest');
  edit.setString('coordinate_transformation_mode', 'asymmetric');
  // Upsample only enlarges (scales ≥ 1): nearest is floor(x / scale).
  if (!linear) edit.setString('nearest_mode', 'floor');
  edit.note(`Upsample (${from}) → Resize, ${linear ? 'linear' : 'nearest floor'}, asymmetric coordinates`);
}

/** A scale whose reciprocal is a power of two maps every output pixel to a whole input pixel exactly. */
function exactShrink(scale: number): boolean {
  const steps = Math.log2(1 / scale);
  return Number.isInteger(steps);
}

/** The opset-13 nearest_mode that picks the pixels Resize-10 picked for these scales. */
function nearestModeForResize10(edit: NodeEdit): { mode: string; why: string } {
  const values = edit.inputShape(1)?.value;
  if (!values || !values.every((v): v is number => typeof v === 'number')) {
    return { mode: 'floor', why: 'scales known only at run time, taken as enlarging' };
  }
  const enlarges = values.some((s) => s > 1);
  const shrinks = values.some((s) => s < 1 && !exactShrink(s));
  if (enlarges && shrinks) {
    edit.refuse(`enlarges some axes and shrinks others by [${values.join(', ')}], which no single opset-13 nearest_mode reproduces`);
  }
  return shrinks ? { mode: 'ceil', why: 'shrinking: ceil' } : { mode: 'floor', why: 'floor' };
}

/** Resize-10 (X, scales) → Resize-11+ (X, roi, scales) with the coordinate mapping opset 10 used. */
export function resizeFromOpset10(edit: NodeEdit): void {
  const mode = stringAttribute(edit, 'mode', 'nearest');
  const scales = edit.input(1);
  if (!scales) edit.refuse('has no scales');
  edit.node.input = [edit.input(0), '', scales];
  edit.setString('coordinate_transformation_mode', 'asymmetric');
  let detail = mode;
  if (mode === 'nearest') {
    const nearest = nearestModeForResize10(edit);
    edit.setString('nearest_mode', nearest.mode);
    detail = `nearest ${nearest.why}`;
  }
  edit.note(`roi input added; asymmetric coordinates (${detail}), as opset 10 computed`);
}

/**
 * Resize-13 dropped tf_half_pixel_for_nn (x_original = (x + 0.5) / scale). For nearest it is
 * half_pixel shifted by half a pixel, which a different rounding reproduces exactly:
 * floor(v + ½) = round_prefer_ceil(v) and round_prefer_floor(v + ½) = ceil(v).
 */
export function resizeWithoutTfHalfPixel(edit: NodeEdit): void {
  if (stringAttribute(edit, 'coordinate_transformation_mode', 'half_pixel') !== 'tf_half_pixel_for_nn') return;
  const mode = stringAttribute(edit, 'mode', 'nearest');
  const nearest = stringAttribute(edit, 'nearest_mode', 'round_prefer_floor');
  const equivalent: Record<string, string> = { floor: 'round_prefer_ceil', round_prefer_floor: 'ceil' };
  const replacement = equivalent[nearest];
  if (mode !== 'nearest' || !replacement) {
    edit.refuse(
      `uses tf_half_pixel_for_nn with ${mode === 'nearest' ? `nearest_mode ${nearest}` : `mode ${mode}`}, which opset 13 cannot express`,
    );
  }
  edit.setString('coordinate_transformation_mode', 'half_pixel');
  edit.setString('nearest_mode', replacement);
  edit.note(`tf_half_pixel_for_nn + ${nearest} → half_pixel + ${replacement}`);
}
