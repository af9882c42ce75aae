/**
 * Messages from core and shared name settings as the app's forms do; the CLI prints the same messages with its
 * flags instead (src/cli/words.ts), so neither host shows the other's words.
 */
import { describe, expect, it } from 'vitest';
import { FLAGS, cliWords } from '../../../src/cli/words';
import { dimsRequired } from '../../../src/core/bench/inputs';
import { inputRequiredMessage } from '../../../src/shared/domain/input-values';
import { REAL_DATA_HINT } from '../../../src/shared/domain/quality-verdict';
import { dimSetting, inputSetting, listWords, setting, SETTINGS, type SettingId } from '../../../src/shared/settings';

const FLAG = /(?<![\w-])--[a-z]/;

describe('settings in the app and in the CLI', () => {
  it('names each form field in the app and turns it into its flag in the CLI', () => {
    for (const id of Object.keys(SETTINGS) as SettingId[]) {
      const app = `measure again with ${setting(id)}.`;
      expect(app).not.toMatch(FLAG);
      expect(app).toContain(`“${SETTINGS[id]}”`);
      expect(cliWords(app)).toBe(`measure again with ${FLAGS[id]}.`);
    }
  });

  it('carries an example value over to the flag', () => {
    expect(setting('concurrency', '1,2,4,8')).toBe('“Parallel requests” (e.g. 1,2,4,8)');
    expect(cliWords(`measure with ${setting('concurrency', '1,2,4,8')} to know its capacity`)).toBe(
      'measure with --concurrency 1,2,4,8 to know its capacity',
    );
    expect(cliWords(setting('inputValues', 'sr=16000'))).toBe('--input sr=16000');
  });

  it('names dimensions and input values by their own names', () => {
    expect(cliWords(`set ${listWords(['H', 'W'].map((n) => dimSetting(n)))}.`)).toBe('set --dim H=VALUE and --dim W=VALUE.');
    expect(cliWords(`Set ${dimSetting('frames', '128')} to count them.`)).toBe('Set --dim frames=128 to count them.');
    expect(cliWords(`give it with ${inputSetting('sr')}`)).toBe('give it with --input sr=VALUE');
    expect(listWords(['a', 'b', 'c'])).toBe('a, b and c');
  });

  it('leaves other quoted words alone', () => {
    const text = '“default” = one per physical core; “Maximum” and “size” are not settings';
    expect(cliWords(text)).toBe(text);
  });

  it('a refusal reads in form words in the app and in flags in the CLI', () => {
    const refusal = dimsRequired([
      { name: 'H', input: 'images', axis: 2 },
      { name: 'W', input: 'images', axis: 3 },
    ]);
    expect(refusal.code).toBe('DIMS_REQUIRED');
    expect(refusal.message).not.toMatch(FLAG);
    expect(refusal.message).toContain('set the size “H” and the size “W”.');
    expect(cliWords(refusal.message)).toContain('set --dim H=VALUE and --dim W=VALUE.');

    const required = inputRequiredMessage(['sr']);
    expect(required).not.toMatch(FLAG);
    expect(cliWords(required)).toContain('with --input sr=VALUE.');

    expect(REAL_DATA_HINT).toBe('Quality on real data is unknown: give evaluation data (“Evaluation data”).');
    expect(cliWords(REAL_DATA_HINT)).toContain('(--calibration DIR, --calibration-images DIR or --calibration-audio DIR)');
  });
});
