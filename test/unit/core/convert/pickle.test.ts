/**
 * The static pickle reader on pickles written opcode by opcode: what torch.save's state_dicts,
 * whole modules and checkpoints look like to it, across protocols (GLOBAL with text lines, and
 * STACK_GLOBAL with memoized strings), and how it refuses bytes that are not a pickle.
 */
import { describe, expect, it } from 'vitest';
import { scanPickle } from '../../../../src/core/convert/pickle';
import { isTensorPlumbing, readTorchPickle } from '../../../../src/core/convert/torch-pickle';
import { InferscopeError } from '../../../../src/shared/errors';
import { bytes, op, stateDict } from './bytes';

const read = (...parts: Parameters<typeof bytes>) => readTorchPickle(scanPickle(bytes(...parts)));

describe('reading a pickle without running it', () => {
  it('tells a state_dict (protocol 2, GLOBAL) by its tensors, and asks for no go-ahead', () => {
    const found = read(op.proto(2), stateDict(['fc.weight', 'fc.bias']), op.stop);
    expect(found).toMatchObject({ format: 'torch-state-dict', runsStoredCode: false, needsModelCode: true, pickledClasses: [] });
    expect(found.evidence[0]).toBe('a dict of 2 tensors (fc.weight, fc.bias)');
  });

  it('tells a whole module (protocol 4, STACK_GLOBAL with memoized names) by its class and nn.Module state', () => {
    const found = read(
      op.proto(4),
      op.frame(0),
      op.short('__main__'),
      op.memoize,
      op.short('Net'),
      op.memoize,
      op.stackGlobal,
      op.memoize,
      op.emptyTuple,
      op.newobj,
      op.memoize,
      op.emptyDict,
      op.memoize,
      op.mark,
      op.short('training'),
      op.newfalse,
      op.short('_parameters'),
      op.emptyDict,
      op.short('_modules'),
      op.emptyDict,
      op.short('head'),
      // A second class from the same module: its module name comes back from the memo.
      [op.binget(0), op.short('Head'), op.stackGlobal, op.emptyTuple, op.newobj],
      op.setitems,
      op.build,
      op.stop,
    );
    expect(found.format).toBe('torch-module');
    expect(found.pickledClasses).toEqual(['__main__.Net', '__main__.Head']);
    expect(found.runsStoredCode).toBe(true);
    expect(found.evidence[0]).toBe('the pickle builds __main__.Net, an nn.Module (it has _parameters and _modules)');
  });

  it('tells a checkpoint dict, and which of its keys holds the weights', () => {
    const found = read(
      op.proto(2),
      op.emptyDict,
      op.mark,
      [op.unicode('epoch'), op.int1(3)],
      [op.unicode('lr'), op.binfloat()],
      [op.unicode('model_state_dict'), stateDict(['a.weight'])],
      op.setitems,
      op.stop,
    );
    expect(found).toMatchObject({ format: 'torch-pickle', needsModelCode: true, stateDictKey: 'model_state_dict', runsStoredCode: false });
    expect(found.evidence).toContain('model_state_dict holds 1 tensor (a.weight)');
  });

  it('counts anything beyond tensor plumbing as code that loading would run', () => {
    const found = read(op.proto(2), op.global('sklearn.linear_model', 'LogisticRegression'), op.emptyTuple, op.newobj, op.stop);
    expect(found).toMatchObject({
      format: 'torch-pickle',
      runsStoredCode: true,
      pickledClasses: ['sklearn.linear_model.LogisticRegression'],
    });
    const os = read(op.proto(2), op.global('os', 'system'), op.mark, op.unicode('echo hi'), op.tuple, op.reduce, op.stop);
    expect(os.runsStoredCode).toBe(true);
    expect(os.pickledClasses).toEqual(['os.system']);
  });

  it('knows which globals torch.load(weights_only=True) accepts', () => {
    for (const name of ['collections.OrderedDict', 'torch._utils._rebuild_parameter', 'torch.HalfStorage', 'torch.float16', 'torch.Size']) {
      expect(isTensorPlumbing(name), name).toBe(true);
    }
    for (const name of ['torch.nn.modules.linear.Linear', 'builtins.eval', 'os.system', '__main__.Net', 'torch.load']) {
      expect(isTensorPlumbing(name), name).toBe(false);
    }
  });

  it('finds where one pickle ends, for files holding several', () => {
    const first = bytes(op.proto(2), op.int1(7), op.stop);
    const second = bytes(op.proto(2), op.emptyDict, op.stop);
    const scan = scanPickle(bytes(first, second));
    expect(scan.end).toBe(first.length);
    expect(scanPickle(bytes(first, second), scan.end).root).toEqual({ kind: 'dict', entries: [] });
  });

  it.each([
    ['an unknown opcode', bytes(op.proto(2), 0xff)],
    ['no STOP', bytes(op.proto(2), op.emptyDict)],
    ['a string cut short', bytes(op.proto(2), 'X', [0xff, 0xff, 0, 0], 'abc')],
    ['a mark closed without being opened', bytes(op.proto(2), op.tuple)],
    ['a value taken from an empty stack', bytes(op.proto(2), op.reduce)],
  ])('refuses %s with MODEL_INVALID', (_what, data) => {
    expect(() => scanPickle(data)).toThrow(InferscopeError);
    try {
      scanPickle(data);
    } catch (error) {
      expect((error as InferscopeError).code).toBe('MODEL_INVALID');
    }
  });
});
