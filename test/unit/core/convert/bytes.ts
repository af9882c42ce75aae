/**
 * Bytes for identification tests, made by hand: pickles opcode by opcode, a stored (uncompressed)
 * ZIP archive, and the first bytes of HDF5 and TFLite files.
 */
import { crc32 } from 'node:zlib';

export type Part = number | string | Uint8Array | Part[];

const encoder = new TextEncoder();

/** Numbers are single bytes, strings their UTF-8 bytes. */
export function bytes(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  const add = (part: Part): void => {
    if (typeof part === 'number') out.push(part);
    else if (typeof part === 'string') out.push(...encoder.encode(part));
    else if (part instanceof Uint8Array) out.push(...part);
    else part.forEach(add);
  };
  parts.forEach(add);
  return Uint8Array.from(out);
}

export const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/** Pickle opcodes (pickletools' names). */
export const op = {
  proto: (v: number): Part => [0x80, v],
  frame: (n: number): Part => [0x95, u32(n), u32(0)],
  global: (module: string, name: string): Part => ['c', `${module}\n${name}\n`],
  unicode: (s: string): Part => ['X', u32(encoder.encode(s).length), s],
  short: (s: string): Part => [0x8c, encoder.encode(s).length, s],
  int1: (n: number): Part => ['K', n],
  binfloat: (): Part => ['G', new Uint8Array(8)],
  binput: (n: number): Part => ['q', n],
  binget: (n: number): Part => ['h', n],
  memoize: 0x94,
  stackGlobal: 0x93,
  mark: '(',
  tuple: 't',
  tuple2: 0x86,
  emptyTuple: ')',
  emptyDict: '}',
  emptyList: ']',
  reduce: 'R',
  newobj: 0x81,
  build: 'b',
  setitems: 'u',
  setitem: 's',
  appends: 'e',
  binpersid: 'Q',
  newfalse: 0x89,
  newtrue: 0x88,
  none: 'N',
  stop: '.',
} as const;

/** torch._utils._rebuild_tensor_v2(persistent storage, 0, shape, stride, False, OrderedDict()). */
export function tensor(key: string, shape: number[]): Part {
  const ints = (values: number[]): Part => [op.mark, values.map((v) => op.int1(v)), op.tuple];
  return [
    op.global('torch._utils', '_rebuild_tensor_v2'),
    op.mark,
    [op.mark, op.unicode('storage'), op.global('torch', 'FloatStorage'), op.unicode(key), op.unicode('cpu'), op.int1(4), op.tuple],
    op.binpersid,
    op.int1(0),
    ints(shape),
    ints(shape.map(() => 1)),
    op.newfalse,
    op.global('collections', 'OrderedDict'),
    op.emptyTuple,
    op.reduce,
    op.tuple,
    op.reduce,
  ];
}

/** collections.OrderedDict() filled with these tensors, as torch.save(model.state_dict()) writes it. */
export function stateDict(names: string[]): Part {
  return [
    op.global('collections', 'OrderedDict'),
    op.emptyTuple,
    op.reduce,
    op.mark,
    names.map((name, i) => [op.unicode(name), tensor(String(i), [2, 2])]),
    op.setitems,
  ];
}

/** A ZIP archive with these entries, stored without compression. */
export function zip(entries: Record<string, Uint8Array | string>): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const data = typeof content === 'string' ? encoder.encode(content) : content;
    const nameBytes = encoder.encode(name);
    const crc = crc32(data);
    const common = (header: Part): Part => [header, [20, 0], [0, 0], [0, 0], [0, 0], [0, 0], u32(crc), u32(data.length), u32(data.length)];
    const local = bytes(common([0x50, 0x4b, 3, 4]), [nameBytes.length, 0], [0, 0], nameBytes, data);
    const central = bytes(
      [0x50, 0x4b, 1, 2],
      [20, 0],
      common([]),
      [nameBytes.length, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      u32(0),
      u32(offset),
      nameBytes,
    );
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const directory = bytes(...centrals);
  const count = [centrals.length & 0xff, centrals.length >> 8];
  const end = bytes([0x50, 0x4b, 5, 6], [0, 0], [0, 0], count, count, u32(directory.length), u32(offset), [0, 0]);
  return bytes(...locals, directory, end);
}

export const HDF5_HEAD = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
