/** Reading node attributes with the defaults the operator spec gives. */
import { bytesToString, int64ToNumber, type AttributeProto, type NodeProto, type TensorProto } from './codec';

export function findAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number;
export function attrInt(node: NodeProto, name: string): number | undefined;
export function attrInt(node: NodeProto, name: string, fallback?: number): number | undefined {
  const a = findAttribute(node, name);
  if (!a || a.i === undefined || a.i === null) return fallback;
  return int64ToNumber(a.i);
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = findAttribute(node, name);
  if (!a) return undefined;
  return (a.ints ?? []).map((v) => int64ToNumber(v));
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = findAttribute(node, name);
  return a && typeof a.f === 'number' ? a.f : fallback;
}

export function attrFloats(node: NodeProto, name: string): number[] | undefined {
  const a = findAttribute(node, name);
  return a ? [...(a.floats ?? [])] : undefined;
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = findAttribute(node, name);
  return a && a.s ? bytesToString(a.s) : fallback;
}

export function attrTensor(node: NodeProto, name: string): TensorProto | undefined {
  return findAttribute(node, name)?.t ?? undefined;
}
