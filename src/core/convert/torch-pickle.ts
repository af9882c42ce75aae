/**
 * What a torch.save pickle holds, told from its structure (see pickle.ts; nothing is run): the
 * weights alone (a state_dict), a whole nn.Module (loading it imports and runs the classes it
 * names), or something else (a training checkpoint dict, a pickle of another library).
 */
import { calleeName, dictEntries, type PickleScan, type PickleValue } from './pickle';

export interface TorchPickleReading {
  format: 'torch-module' | 'torch-state-dict' | 'torch-pickle';
  /** "an OrderedDict of 4 tensors (fc1.weight, fc1.bias, …)". */
  evidence: string[];
  /** Classes and functions the pickle names beyond torch's tensor plumbing ("fixture_models.TinyMLP"). */
  pickledClasses: string[];
  /** Loading it imports something other than tensor plumbing: the user must agree first. */
  runsStoredCode: boolean;
  /** Weights only (a state_dict, or a checkpoint holding one): the model's class is needed. */
  needsModelCode: boolean;
  /** A checkpoint's key that holds the state_dict ("model_state_dict"); null otherwise. */
  stateDictKey: string | null;
}

/** Globals torch.load(weights_only=True) accepts: how tensors and their storages are rebuilt. */
const PLUMBING = [
  /^collections\.OrderedDict$/,
  /^torch\._utils\._rebuild_\w+$/,
  /^torch\._tensor\._rebuild_from_type_v2$/,
  /^torch\.\w*Storage$/,
  /^torch\.storage\.\w+$/,
  /^torch\.serialization\._get_layout$/,
  /^torch\.(Size|device|layout)$/,
  // Containers every nn.Module pickle names (a set of hooks): harmless on their own.
  /^(__builtin__|builtins)\.(set|frozenset|bytearray|slice|complex)$/,
  /^torch\.(u?int\d+|float\d*|bfloat16|half|double|long|short|bool|complex\d+|cfloat|cdouble|q?u?int\w*|strided|sparse_coo)$/,
];

export const isTensorPlumbing = (name: string): boolean => PLUMBING.some((pattern) => pattern.test(name));

const isTensor = (value: PickleValue): boolean => {
  const callee = calleeName(value);
  return callee !== null && (callee.startsWith('torch._utils._rebuild_') || callee === 'torch._tensor._rebuild_from_type_v2');
};

const keyText = (key: PickleValue): string | null => (key.kind === 'str' ? key.value : null);

/** Tensor names when every value of the dict is a tensor (a state_dict); null otherwise. */
function stateDictNames(value: PickleValue): string[] | null {
  const entries = dictEntries(value);
  if (!entries || entries.length === 0) return null;
  const names: string[] = [];
  for (const [key, item] of entries) {
    const name = keyText(key);
    if (name === null || !isTensor(item)) return null;
    names.push(name);
  }
  return names;
}

const listed = (names: readonly string[], max = 4): string =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … (${names.length} in all)`;

const tensorsText = (names: readonly string[]): string => `${names.length} tensor${names.length === 1 ? '' : 's'} (${listed(names)})`;

/** An object built by NEWOBJ/REDUCE of a class, whose state has nn.Module's attributes. */
function moduleClass(root: PickleValue): string | null {
  const callee = calleeName(root);
  if (root.kind !== 'call' || callee === null || isTensorPlumbing(callee)) return null;
  const state = root.state ? dictEntries(root.state) : null;
  const keys = new Set((state ?? []).map(([key]) => keyText(key)));
  return keys.has('_modules') || keys.has('_parameters') || callee.startsWith('torch.nn.modules.') ? callee : null;
}

export function readTorchPickle(scan: PickleScan): TorchPickleReading {
  const pickledClasses = scan.globals.filter((name) => !isTensorPlumbing(name));
  const runsStoredCode = pickledClasses.length > 0;
  const named = runsStoredCode ? [`the pickle names ${listed(pickledClasses)}`] : ['the pickle names only torch tensor types'];
  const base = { pickledClasses, runsStoredCode, stateDictKey: null };

  const model = moduleClass(scan.root);
  if (model !== null) {
    const evidence = [`the pickle builds ${model}, an nn.Module (it has _parameters and _modules)`, ...named];
    return { ...base, format: 'torch-module', evidence, needsModelCode: false };
  }
  const tensors = stateDictNames(scan.root);
  if (tensors && !runsStoredCode) {
    return { ...base, format: 'torch-state-dict', evidence: [`a dict of ${tensorsText(tensors)}`, ...named], needsModelCode: true };
  }
  const entries = dictEntries(scan.root);
  if (entries) {
    const keys = entries.map(([key]) => keyText(key) ?? '?');
    const nested = entries.map(([key, value]) => ({ key: keyText(key), names: stateDictNames(value) })).find((e) => e.names && e.key);
    const evidence = [`a dict of ${listed(keys, 6)}`, ...named];
    if (nested?.names && nested.key) evidence.push(`${nested.key} holds ${tensorsText(nested.names)}`);
    return { ...base, format: 'torch-pickle', evidence, needsModelCode: nested !== undefined, stateDictKey: nested?.key ?? null };
  }
  const what = calleeName(scan.root) ?? scan.root.kind;
  return { ...base, format: 'torch-pickle', evidence: [`the pickle holds ${what}`, ...named], needsModelCode: false };
}
