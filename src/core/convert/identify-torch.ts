/**
 * PyTorch files, told apart by what they hold: torch.jit.save (a ZIP with code/ and constants.pkl),
 * torch.save in the ZIP format (<root>/data.pkl) or the legacy format (pickles one after another).
 */
import type { InputSpec } from '../../shared/domain/convert';
import { reading, type Reading } from './formats';
import { scanPickle, type PickleScan } from './pickle';
import { readTorchPickle } from './torch-pickle';

/** The first pickle of a legacy torch.save file: protocol 2, then the magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

export const isLegacyTorchSave = (head: Uint8Array): boolean => LEGACY_MAGIC.every((byte, i) => head[i] === byte);

/** "archive/data.pkl" → "archive/": torch writes every entry under one root folder. */
export function torchRoot(names: readonly string[]): string | null {
  const pkl = names.find((n) => /^[^/]+\/data\.pkl$/.test(n) || n === 'data.pkl');
  return pkl === undefined ? null : pkl.slice(0, pkl.length - 'data.pkl'.length);
}

export const isTorchScript = (names: readonly string[], root: string): boolean =>
  names.includes(`${root}constants.pkl`) && names.some((n) => n.startsWith(`${root}code/`));

/** The code file of a TorchScript class: "__torch__.TinyCnn" → "code/__torch__.py". */
export function codeFileOf(className: string): string {
  const module = className.slice(0, className.lastIndexOf('.'));
  return `code/${module.replace(/\./g, '/')}.py`;
}

/** Splits at top-level commas (types hold brackets: Tuple[Tensor, Tensor]). */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '[' || ch === '(') depth++;
    if (ch === ']' || ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

export interface ForwardSignature {
  /** Tensor arguments, in order. */
  tensors: string[];
  /** Other arguments ("scale: float"). */
  others: string[];
}

/** The arguments of `class <className>`'s forward in TorchScript code; null when not found. */
export function forwardSignature(code: string, className: string): ForwardSignature | null {
  const classAt = code.search(new RegExp(`^class ${className.replace(/[^A-Za-z0-9_]/g, '')}\\(`, 'm'));
  const from = classAt >= 0 ? classAt : 0;
  const start = code.indexOf('def forward(', from);
  if (start < 0) return null;
  let depth = 0;
  let end = -1;
  for (let i = start + 'def forward'.length; i < code.length; i++) {
    if (code[i] === '(') depth++;
    else if (code[i] === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  if (end < 0) return null;
  const args = splitArguments(code.slice(start + 'def forward('.length, end)).slice(1);
  const signature: ForwardSignature = { tensors: [], others: [] };
  for (const arg of args) {
    const [name = '', type = ''] = arg
      .split('=')[0]!
      .split(':')
      .map((s) => s.trim());
    if (/^(Optional\[)?Tensor\]?$/.test(type)) signature.tensors.push(name);
    else signature.others.push(`${name}: ${type}`);
  }
  return signature;
}

const rootClass = (scan: PickleScan): string | null =>
  scan.root.kind === 'call' && scan.root.callee.kind === 'global' ? scan.root.callee.name : null;

/** A TorchScript archive: its module class and forward's arguments, read from the saved code. */
export function readTorchScript(root: string, files: Map<string, Buffer>): Reading {
  const evidence = [`ZIP with ${root}code/ and ${root}constants.pkl (torch.jit.save)`];
  const data = files.get(`${root}data.pkl`);
  const className = data ? rootClass(scanPickle(data)) : null;
  let declaredInputs: InputSpec[] = [];
  if (className) {
    const code = files.get(`${root}${codeFileOf(className)}`)?.toString('utf8');
    const signature = code ? forwardSignature(code, className.slice(className.lastIndexOf('.') + 1)) : null;
    evidence.push(`module ${className.replace(/^__torch__\./, '')}`);
    if (signature) {
      declaredInputs = signature.tensors.map((name) => ({ name, shape: [], dtype: 'float32' as const }));
      const others = signature.others.length > 0 ? `; other arguments: ${signature.others.join(', ')}` : '';
      evidence.push(`forward(${signature.tensors.join(', ')}) takes ${signature.tensors.length} tensor(s)${others}`);
    }
  }
  return reading('torchscript', evidence, { declaredInputs });
}

export function readTorchZipPickle(root: string, data: Buffer): Reading {
  const found = readTorchPickle(scanPickle(data));
  return reading(found.format, [`ZIP with ${root}data.pkl (torch.save)`, ...found.evidence], {
    runsStoredCode: found.runsStoredCode,
    needsModelCode: found.needsModelCode,
    pickledClasses: found.pickledClasses,
  });
}

/** A legacy torch.save file: magic number, protocol, system info, then the object's pickle. */
export function readLegacyTorch(bytes: Uint8Array): Reading {
  let at = 0;
  for (let i = 0; i < 3; i++) at = scanPickle(bytes, at).end;
  const found = readTorchPickle(scanPickle(bytes, at));
  return reading(found.format, ['legacy torch.save file (pickles after the magic number 0x1950a86a20f9469cfc6c)', ...found.evidence], {
    runsStoredCode: found.runsStoredCode,
    needsModelCode: found.needsModelCode,
    pickledClasses: found.pickledClasses,
  });
}

/**
 * A pickle that is not a torch.save file: torch.load cannot read it and pickle.load runs whatever it
 * names, so even a dict of tensors here needs the user's go-ahead.
 */
export function readPlainPickle(bytes: Uint8Array): Reading {
  const found = readTorchPickle(scanPickle(bytes));
  return reading(
    found.format === 'torch-module' ? 'torch-module' : 'torch-pickle',
    [`Python pickle (protocol ${bytes[1] ?? '?'})`, ...found.evidence],
    {
      runsStoredCode: true,
      needsModelCode: found.needsModelCode,
      pickledClasses: found.pickledClasses,
    },
  );
}
