/**
 * Reads a Python pickle's structure without running it: a small machine that walks the opcodes
 * (protocols 0–5) and builds a description of the object — which globals it names, what calls
 * them, which dicts hold what — where Python's unpickler would import and call. Nothing the file
 * names is ever imported or called; a pickle that asks for more work than MAX_OPS is refused.
 */
import { InferscopeError } from '../../shared/errors';

export type PickleValue =
  | { kind: 'none' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: number | null }
  | { kind: 'float' }
  | { kind: 'str'; value: string }
  | { kind: 'bytes' }
  | { kind: 'global'; name: string }
  /**
   * REDUCE / NEWOBJ / OBJ / INST: `callee(*args)`, with BUILD's state once set, and the items SETITEMS
   * gave it (an OrderedDict is made empty, then filled).
   */
  | { kind: 'call'; callee: PickleValue; args: PickleValue; state: PickleValue | null; entries: [PickleValue, PickleValue][] }
  | { kind: 'dict'; entries: [PickleValue, PickleValue][] }
  | { kind: 'list'; items: PickleValue[] }
  | { kind: 'tuple'; items: PickleValue[] }
  | { kind: 'persistent'; id: PickleValue }
  | { kind: 'other' };

export interface PickleScan {
  root: PickleValue;
  /** Every global the pickle names ("collections.OrderedDict", "__main__.Net"), in first-seen order. */
  globals: string[];
  /** Offset just past the STOP opcode (the next pickle in the file starts there). */
  end: number;
}

/** Work limits: a state_dict of a large model takes a few hundred thousand opcodes. */
const MAX_OPS = 20_000_000;
const MAX_ITEMS = 5_000_000;

const NONE: PickleValue = { kind: 'none' };
const OTHER: PickleValue = { kind: 'other' };
const decoder = new TextDecoder('utf-8', { fatal: false });
const latin1 = new TextDecoder('latin1');

class Machine {
  pos: number;
  stack: PickleValue[] = [];
  marks: PickleValue[][] = [];
  memo = new Map<number, PickleValue>();
  globals: string[] = [];
  items = 0;
  stopped = false;

  constructor(
    readonly bytes: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  fail(why: string): never {
    throw new InferscopeError('MODEL_INVALID', `The pickle cannot be read: ${why} (at byte ${this.pos}).`);
  }

  take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.bytes.length) this.fail('it ends in the middle of an opcode');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  uint(n: 1 | 2 | 4 | 8): number {
    const b = this.take(n);
    let value = 0;
    for (let i = n - 1; i >= 0; i--) value = value * 256 + (b[i] ?? 0);
    return value;
  }

  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('a text argument has no end of line');
    const text = latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  push(value: PickleValue): void {
    if (++this.items > MAX_ITEMS) this.fail('it holds too many values to read');
    this.stack.push(value);
  }

  pop(): PickleValue {
    const value = this.stack.pop();
    if (value === undefined) this.fail('it takes a value from an empty stack');
    return value;
  }

  top(): PickleValue {
    const value = this.stack[this.stack.length - 1];
    if (value === undefined) this.fail('it refers to an empty stack');
    return value;
  }

  popMark(): PickleValue[] {
    const items = this.stack;
    const previous = this.marks.pop();
    if (previous === undefined) this.fail('it closes a mark it never opened');
    this.stack = previous;
    return items;
  }

  global(module: string, name: string): PickleValue {
    const full = `${module}.${name}`;
    if (!this.globals.includes(full)) this.globals.push(full);
    return { kind: 'global', name: full };
  }
}

const str = (value: string): PickleValue => ({ kind: 'str', value });
const int = (value: number | null): PickleValue => ({ kind: 'int', value });
const call = (callee: PickleValue, args: PickleValue): PickleValue => ({ kind: 'call', callee, args, state: null, entries: [] });
const tuple = (items: PickleValue[]): PickleValue => ({ kind: 'tuple', items });

function setItems(m: Machine, target: PickleValue, items: PickleValue[]): void {
  if (target.kind !== 'dict' && target.kind !== 'call') return;
  for (let i = 0; i + 1 < items.length; i += 2) target.entries.push([items[i] as PickleValue, items[i + 1] as PickleValue]);
  m.items += items.length;
}

function appendItems(target: PickleValue, items: PickleValue[]): void {
  if (target.kind === 'list') target.items.push(...items);
}

type Op = (m: Machine) => void;

const pushString = (read: (m: Machine) => Uint8Array) => (m: Machine) => m.push(str(decoder.decode(read(m))));

/** Opcode → what it does to the stack; arguments are read from the bytes that follow. */
const OPS: Record<number, Op> = {
  0x28: (m) => (m.marks.push(m.stack), (m.stack = [])), // MARK
  0x2e: (m) => (m.stopped = true), // STOP
  0x30: (m) => void m.pop(), // POP
  0x31: (m) => void m.popMark(), // POP_MARK
  0x32: (m) => m.push(m.top()), // DUP
  0x46: (m) => (m.line(), m.push({ kind: 'float' })), // FLOAT
  0x49: (m) => {
    const text = m.line(); // INT (also "00"/"01" for False/True)
    m.push(text === '00' || text === '01' ? { kind: 'bool', value: text === '01' } : int(Number.parseInt(text, 10)));
  },
  0x4a: (m) => m.push(int(m.uint(4) | 0)), // BININT
  0x4b: (m) => m.push(int(m.uint(1))), // BININT1
  0x4c: (m) => m.push(int(Number.parseInt(m.line(), 10))), // LONG
  0x4d: (m) => m.push(int(m.uint(2))), // BININT2
  0x4e: (m) => m.push(NONE), // NONE
  0x50: (m) => m.push({ kind: 'persistent', id: str(m.line()) }), // PERSID
  0x51: (m) => m.push({ kind: 'persistent', id: m.pop() }), // BINPERSID
  0x52: (m) => {
    const args = m.pop(); // REDUCE
    m.push(call(m.pop(), args));
  },
  0x53: (m) => m.push(str(m.line().replace(/^['"]|['"]$/g, ''))), // STRING
  0x54: pushString((m) => m.take(m.uint(4))), // BINSTRING
  0x55: pushString((m) => m.take(m.uint(1))), // SHORT_BINSTRING
  0x56: (m) => m.push(str(m.line())), // UNICODE
  0x58: pushString((m) => m.take(m.uint(4))), // BINUNICODE
  0x61: (m) => {
    const item = m.pop(); // APPEND
    appendItems(m.top(), [item]);
  },
  0x62: (m) => {
    const state = m.pop(); // BUILD
    const target = m.top();
    if (target.kind === 'call') target.state = state;
  },
  0x63: (m) => m.push(m.global(m.line(), m.line())), // GLOBAL
  0x64: (m) => {
    const items = m.popMark(); // DICT
    const dict: PickleValue = { kind: 'dict', entries: [] };
    setItems(m, dict, items);
    m.push(dict);
  },
  0x7d: (m) => m.push({ kind: 'dict', entries: [] }), // EMPTY_DICT
  0x65: (m) => {
    const items = m.popMark(); // APPENDS
    appendItems(m.top(), items);
  },
  0x67: (m) => m.push(m.memo.get(Number.parseInt(m.line(), 10)) ?? OTHER), // GET
  0x68: (m) => m.push(m.memo.get(m.uint(1)) ?? OTHER), // BINGET
  0x69: (m) => {
    const global = m.global(m.line(), m.line()); // INST
    m.push(call(global, tuple(m.popMark())));
  },
  0x6a: (m) => m.push(m.memo.get(m.uint(4)) ?? OTHER), // LONG_BINGET
  0x6c: (m) => m.push({ kind: 'list', items: m.popMark() }), // LIST
  0x5d: (m) => m.push({ kind: 'list', items: [] }), // EMPTY_LIST
  0x6f: (m) => {
    const [callee, ...args] = m.popMark(); // OBJ
    m.push(call(callee ?? OTHER, tuple(args)));
  },
  0x70: (m) => void m.memo.set(Number.parseInt(m.line(), 10), m.top()), // PUT
  0x71: (m) => void m.memo.set(m.uint(1), m.top()), // BINPUT
  0x72: (m) => void m.memo.set(m.uint(4), m.top()), // LONG_BINPUT
  0x73: (m) => {
    const value = m.pop(); // SETITEM
    const key = m.pop();
    setItems(m, m.top(), [key, value]);
  },
  0x74: (m) => m.push(tuple(m.popMark())), // TUPLE
  0x29: (m) => m.push(tuple([])), // EMPTY_TUPLE
  0x75: (m) => {
    const items = m.popMark(); // SETITEMS
    setItems(m, m.top(), items);
  },
  0x47: (m) => (m.take(8), m.push({ kind: 'float' })), // BINFLOAT
  0x80: (m) => void m.uint(1), // PROTO
  0x81: (m) => {
    const args = m.pop(); // NEWOBJ
    m.push(call(m.pop(), args));
  },
  0x82: (m) => (m.uint(1), m.push(OTHER)), // EXT1
  0x83: (m) => (m.uint(2), m.push(OTHER)), // EXT2
  0x84: (m) => (m.uint(4), m.push(OTHER)), // EXT4
  0x85: (m) => m.push(tuple([m.pop()])), // TUPLE1
  0x86: (m) => {
    const b = m.pop(); // TUPLE2
    m.push(tuple([m.pop(), b]));
  },
  0x87: (m) => {
    const c = m.pop(); // TUPLE3
    const b = m.pop();
    m.push(tuple([m.pop(), b, c]));
  },
  0x88: (m) => m.push({ kind: 'bool', value: true }), // NEWTRUE
  0x89: (m) => m.push({ kind: 'bool', value: false }), // NEWFALSE
  0x8a: (m) => (m.take(m.uint(1)), m.push(int(null))), // LONG1
  0x8b: (m) => (m.take(m.uint(4)), m.push(int(null))), // LONG4
  0x42: (m) => (m.take(m.uint(4)), m.push({ kind: 'bytes' })), // BINBYTES
  0x43: (m) => (m.take(m.uint(1)), m.push({ kind: 'bytes' })), // SHORT_BINBYTES
  0x8c: pushString((m) => m.take(m.uint(1))), // SHORT_BINUNICODE
  0x8d: pushString((m) => m.take(m.uint(8))), // BINUNICODE8
  0x8e: (m) => (m.take(m.uint(8)), m.push({ kind: 'bytes' })), // BINBYTES8
  0x8f: (m) => m.push(OTHER), // EMPTY_SET
  0x90: (m) => void m.popMark(), // ADDITEMS
  0x91: (m) => (m.popMark(), m.push(OTHER)), // FROZENSET
  0x92: (m) => {
    m.pop(); // NEWOBJ_EX: cls, args, kwargs
    const args = m.pop();
    m.push(call(m.pop(), args));
  },
  0x93: (m) => {
    const name = m.pop(); // STACK_GLOBAL
    const module = m.pop();
    if (module.kind !== 'str' || name.kind !== 'str') return m.fail('STACK_GLOBAL names its global with something other than text');
    m.push(m.global(module.value, name.value));
  },
  0x94: (m) => void m.memo.set(m.memo.size, m.top()), // MEMOIZE
  0x95: (m) => void m.uint(8), // FRAME
  0x96: (m) => (m.take(m.uint(8)), m.push({ kind: 'bytes' })), // BYTEARRAY8
  0x97: (m) => m.push({ kind: 'bytes' }), // NEXT_BUFFER
  0x98: () => undefined, // READONLY_BUFFER
};

/** Walks one pickle starting at `start`; throws MODEL_INVALID for bytes that are not a pickle. */
export function scanPickle(bytes: Uint8Array, start = 0): PickleScan {
  const m = new Machine(bytes, start);
  for (let ops = 0; !m.stopped; ops++) {
    if (ops >= MAX_OPS) m.fail('it is too long to read without running it');
    if (m.pos >= bytes.length) m.fail('it ends before its STOP opcode');
    const code = bytes[m.pos++] as number;
    const op = OPS[code];
    if (!op) return m.fail(`0x${code.toString(16).padStart(2, '0')} is not a pickle opcode`);
    op(m);
  }
  const root = m.stack[m.stack.length - 1] ?? NONE;
  return { root, globals: m.globals, end: m.pos };
}

/** The global a value calls ("collections.OrderedDict"), or null. */
export function calleeName(value: PickleValue): string | null {
  return value.kind === 'call' && value.callee.kind === 'global' ? value.callee.name : null;
}

/** A dict, or a call of collections.OrderedDict given its items by SETITEMS (as torch.save writes it): its entries. */
export function dictEntries(value: PickleValue): [PickleValue, PickleValue][] | null {
  if (value.kind === 'dict') return value.entries;
  if (value.kind !== 'call') return null;
  const callee = calleeName(value);
  // OrderedDict() is REDUCEd with no items and filled by SETITEMS, which land on the call itself.
  return callee === 'collections.OrderedDict' || callee === 'builtins.dict' ? value.entries : null;
}
