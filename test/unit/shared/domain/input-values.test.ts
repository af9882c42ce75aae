import { describe, expect, it } from 'vitest';
import {
  chooseInputValue,
  formatInputValues,
  inputRequiredMessage,
  parseInputAssignment,
  parseInputValue,
  parseInputValues,
} from '../../../../src/shared/domain/input-values';

describe('input values as typed (--input NAME=VALUE, the app field)', () => {
  it('reads numbers, zeros, ones, range, LO..HI and tensor files', () => {
    expect(parseInputValue('16000')).toEqual({ ok: true, value: { kind: 'number', value: 16000 } });
    expect(parseInputValue(' -0.5 ')).toEqual({ ok: true, value: { kind: 'number', value: -0.5 } });
    expect(parseInputValue('1e-3')).toEqual({ ok: true, value: { kind: 'number', value: 0.001 } });
    expect(parseInputValue('Zeros')).toEqual({ ok: true, value: { kind: 'zeros' } });
    expect(parseInputValue('ones')).toEqual({ ok: true, value: { kind: 'ones' } });
    expect(parseInputValue('range')).toEqual({ ok: true, value: { kind: 'range' } });
    expect(parseInputValue('-1..1')).toEqual({ ok: true, value: { kind: 'uniform', low: -1, high: 1 } });
    expect(parseInputValue('0.5..2.5')).toEqual({ ok: true, value: { kind: 'uniform', low: 0.5, high: 2.5 } });
    expect(parseInputValue('/data/state.npy')).toEqual({ ok: true, value: { kind: 'file', path: '/data/state.npy' } });
    expect(parseInputValue('h0.pb')).toEqual({ ok: true, value: { kind: 'file', path: 'h0.pb' } });
  });

  it('refuses what it cannot read, saying what it takes', () => {
    expect(parseInputValue('')).toMatchObject({ ok: false });
    expect(parseInputValue('2..1')).toEqual({ ok: false, error: '“2..1”: the low end must not exceed the high end' });
    expect(parseInputValue('lots')).toMatchObject({ ok: false, error: expect.stringContaining('zeros, ones, range, LO..HI') });
    expect(parseInputAssignment('sr')).toMatchObject({ ok: false, error: expect.stringContaining('NAME=VALUE') });
    expect(parseInputAssignment('=3')).toMatchObject({ ok: false });
    expect(parseInputAssignment('sr=fast')).toMatchObject({ ok: false, error: expect.stringMatching(/^sr: /) });
  });

  it('reads a list as the app field holds it and writes it back the same way', () => {
    const parsed = parseInputValues('sr=16000, state=zeros\nposition_ids=range,');
    expect(parsed).toEqual({
      ok: true,
      values: { sr: { kind: 'number', value: 16000 }, state: { kind: 'zeros' }, position_ids: { kind: 'range' } },
    });
    expect(parsed.ok && formatInputValues(parsed.values)).toBe('sr=16000, state=zeros, position_ids=range');
    expect(parseInputValues('  ')).toEqual({ ok: true, values: {} });
    expect(parseInputValues('sr=16000, bad')).toMatchObject({ ok: false });
  });
});

describe('stated defaults for well-known inputs', () => {
  const pick = (name: string, type = 'float32', rank: number | null = 2) => chooseInputValue(name, type, rank);

  it('gives masks ones, token types zeros, positions a range, sample rates 16000 and states zeros, saying why', () => {
    expect(pick('attention_mask', 'int64')).toMatchObject({ value: { kind: 'ones' }, stated: expect.stringContaining('attention mask') });
    expect(pick('token_type_ids', 'int64')).toMatchObject({ value: { kind: 'zeros' } });
    expect(pick('position_ids', 'int64')).toMatchObject({ value: { kind: 'range' } });
    expect(pick('sr', 'int64', 0)).toMatchObject({ value: { kind: 'number', value: 16000 }, stated: expect.stringMatching(/^16000 /) });
    expect(pick('sample_rate', 'int64', 0)).toMatchObject({ value: { kind: 'number', value: 16000 } });
    for (const name of ['state', 'h', 'c', 'h0', 'c0', 'hidden', 'past_key_values.0.key']) {
      expect(pick(name)).toMatchObject({ value: { kind: 'zeros' }, stated: expect.stringContaining('recurrent state') });
    }
  });

  it('leaves other inputs random, and the user’s value always wins', () => {
    expect(pick('input_ids', 'int64')).toEqual({ value: null, stated: null });
    expect(pick('images')).toEqual({ value: null, stated: null });
    expect(chooseInputValue('sr', 'int64', 0, { sr: { kind: 'number', value: 8000 } })).toEqual({
      value: { kind: 'number', value: 8000 },
      stated: null,
    });
  });

  it('requires a value for an integer scalar without a default, and names how to give it', () => {
    expect(pick('flag', 'int64', 0)).toEqual({ required: true });
    expect(pick('temperature', 'float32', 0)).toEqual({ value: null, stated: null });
    expect(pick('flag', 'int64', 1)).toEqual({ value: null, stated: null });
    expect(inputRequiredMessage(['flag'])).toContain('with the input value “flag”.');
  });
});
