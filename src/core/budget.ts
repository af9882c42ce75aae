/**
 * The memory a request will need, worked out before anything is allocated. Shapes come from
 * model files as int64s, so element counts are exact BigInts: a shape past 2^53, or past what
 * one typed array can hold, is refused by name instead of wrapping, rounding or ending in
 * "Invalid typed array length". Refusals name the tensor, its shape, the bytes it needs and
 * what this machine has free (MODEL_TOO_LARGE); dims that break ONNX's rules are MODEL_INVALID.
 */
import { constants as bufferConstants } from 'node:buffer';
import { freemem } from 'node:os';
import { InferscopeError } from '../shared/errors';
import { formatBytes } from '../shared/stats/format';
import { dtypeBits, dtypeFromName, dtypeName } from './onnx/dtypes';

/**
 * Share of the free memory one request may plan to fill: the rest is for what cannot be
 * counted in advance (the session and its activations, the model, the OS, other programs).
 */
export const FREE_MEMORY_SHARE = 0.8;
/** Longest typed array (elements) and Buffer (bytes) this runtime makes: 2^32 on Node 20, more on newer V8s. */
export const MAX_TYPED_ARRAY_LENGTH = bufferConstants.MAX_LENGTH;
/** A JavaScript Array (string tensors) holds at most this many elements. */
const MAX_ARRAY_LENGTH = 2 ** 32 - 1;
/** Assumed per element of a string tensor: a pointer and a short string, at least. */
const STRING_ELEMENT_BITS = 64;

export type DimValue = number | bigint;

/** A tensor a request will hold. */
export interface TensorSpec {
  name: string;
  /** onnxruntime's element type name ('float32', 'int64', …) or an ONNX DataType number. */
  type: string | number;
  dims: readonly DimValue[];
  /** What the tensor is to the user: 'input' (default), 'initializer', 'output', … */
  role?: string;
}

/** Memory one part of a request needs. */
export interface Need {
  /** Names it, e.g. `input "x" float32[32768, 65536] × 8 evaluation samples`. */
  what: string;
  bytes: bigint;
  /** Elements of the largest single array it makes (held against MAX_TYPED_ARRAY_LENGTH)… */
  elements: bigint;
  /** …and that array's bytes. */
  arrayBytes: bigint;
  /** A JavaScript Array rather than a typed array (string tensors). */
  plainArray?: boolean;
}

function typeName(type: string | number): string {
  return typeof type === 'number' ? dtypeName(type) : type;
}

/** `input "x" float32[32768, 65536]` (`input float32[…]` when the name is not known). */
export function describeTensor(spec: TensorSpec): string {
  const dims = spec.dims.map((d) => String(d)).join(', ');
  return `${spec.role ?? 'input'}${spec.name ? ` "${spec.name}"` : ''} ${typeName(spec.type)}[${dims}]`;
}

/**
 * The dims as exact non-negative BigInts; MODEL_INVALID naming the tensor for a negative,
 * fractional or non-finite dim (ONNX dims are int64 sizes, never below zero).
 */
export function checkedDims(spec: TensorSpec): bigint[] {
  return spec.dims.map((d, axis) => {
    const valid = typeof d === 'bigint' ? d >= 0n : Number.isInteger(d) && d >= 0;
    if (!valid) {
      throw new InferscopeError(
        'MODEL_INVALID',
        `${capitalize(describeTensor(spec))} has dimension ${String(d)} at axis ${axis}: dimensions must be whole numbers ≥ 0.`,
        { detail: spec.name },
      );
    }
    return typeof d === 'bigint' ? d : BigInt(d);
  });
}

/** Number of elements, exactly (1 for a scalar). */
export function elementCount(spec: TensorSpec): bigint {
  return checkedDims(spec).reduce((a, b) => a * b, 1n);
}

/** Bits one element takes; undefined for a type nothing here knows. */
function elementBits(type: string | number): number | undefined {
  const name = typeName(type);
  if (name === 'string') return STRING_ELEMENT_BITS;
  const dataType = typeof type === 'number' ? type : dtypeFromName(type);
  return dataType === undefined ? undefined : dtypeBits(dataType);
}

/** Bytes the tensor's values take (sub-byte types packed); an unknown type counts 8 bytes an element. */
export function tensorBytes(spec: TensorSpec): bigint {
  const bits = BigInt(elementBits(spec.type) ?? 64);
  return (elementCount(spec) * bits + 7n) / 8n;
}

/** What holding `copies` of the tensor at once needs ("× 8 evaluation samples" says why there are several). */
export function tensorNeed(spec: TensorSpec, copies = 1, why = ''): Need {
  const elements = elementCount(spec);
  const count = BigInt(Math.max(0, Math.trunc(copies)));
  const suffix = copies === 1 && !why ? '' : ` × ${copies}${why ? ` ${why}` : ''}`;
  const arrayBytes = count > 0n ? tensorBytes(spec) : 0n;
  return {
    what: `${describeTensor(spec)}${suffix}`,
    bytes: arrayBytes * count,
    elements: count > 0n ? elements : 0n,
    arrayBytes,
    plainArray: typeName(spec.type) === 'string',
  };
}

/** Human-readable bytes of any size ("8 GiB", "3.64 TiB"). */
export function formatBigBytes(bytes: bigint | number): string {
  return formatBytes(Number(bytes));
}

/** Memory this machine has free now, and the share of it a request may plan on. */
export function memoryBudget(): { free: number; usable: number } {
  const free = freemem();
  return { free, usable: Math.floor(free * FREE_MEMORY_SHARE) };
}

/**
 * Refuses (MODEL_TOO_LARGE) what cannot be allocated: any one array longer than the runtime
 * makes, or all of `needs` together beyond the usable share of the free memory. `action` says
 * what the memory is for ("Benchmarking batch 8 at concurrency 4"). `usable` is for tests.
 */
export function assertFits(needs: readonly Need[], action: string, budget = memoryBudget()): void {
  for (const need of needs) {
    const limit = need.plainArray ? MAX_ARRAY_LENGTH : MAX_TYPED_ARRAY_LENGTH;
    if (need.elements > BigInt(limit)) {
      throw new InferscopeError(
        'MODEL_TOO_LARGE',
        `${action}: ${need.what} needs an array of ${need.elements.toLocaleString('en-US')} elements ` +
          `(${formatBigBytes(need.arrayBytes)}); one array here holds at most ${limit.toLocaleString('en-US')}.`,
        { detail: need.what },
      );
    }
  }
  const total = needs.reduce((sum, n) => sum + n.bytes, 0n);
  if (total <= BigInt(Math.max(0, Math.floor(budget.usable)))) return;
  const largest = needs.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const share = formatBigBytes(largest.bytes) === formatBigBytes(total) ? 'almost all' : formatBigBytes(largest.bytes);
  const most = largest.bytes === total ? ` for ${largest.what}` : `, ${share} of it for ${largest.what}`;
  throw new InferscopeError(
    'MODEL_TOO_LARGE',
    `${action} needs ${formatBigBytes(total)}${most}, but this machine has ${formatBigBytes(budget.free)} of memory free ` +
      `(a request may plan on ${Math.round(FREE_MEMORY_SHARE * 100)} % of it).`,
    { detail: largest.what },
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
