/** The Quantize data form: audio folders and what the summary says for each source. */
import { describe, expect, it } from 'vitest';
import { buildCalibration, dataSummary, defaultDataDraft } from '../../../../../src/renderer/lib/logic/quantize-options';
import { CalibrationSpecSchema } from '../../../../../src/shared/domain/variant';

describe('quantize data form', () => {
  it('reads an audio folder with its rate, scale and hop', () => {
    const audio = { ...defaultDataDraft(), kind: 'audio' as const, dir: ' /wav ', samples: '' };
    expect(buildCalibration(audio)).toEqual({ calibration: { kind: 'audio', dir: '/wav', sampleRate: 16000, scale: 'float' }, errors: {} });
    const given = buildCalibration({ ...audio, samples: '40', sampleRate: '8000', audioScale: 'int16', hop: '0.25' });
    expect(CalibrationSpecSchema.parse(given.calibration)).toEqual({
      kind: 'audio',
      dir: '/wav',
      samples: 40,
      sampleRate: 8000,
      scale: 'int16',
      hopSeconds: 0.25,
    });
    expect(Object.keys(buildCalibration({ ...audio, sampleRate: '16k', hop: 'x' }).errors).sort()).toEqual(['hop', 'sampleRate']);
  });

  it('says what each source calibrates and compares on', () => {
    expect(dataSummary('int8-static', defaultDataDraft(), '8', true)).toBe(
      '16 synthetic calibration inputs; 8 other synthetic inputs to compare outputs on',
    );
    expect(dataSummary('fp16', defaultDataDraft(), '8', true)).toBe('No calibration; 8 other synthetic inputs to compare outputs on');
    const audio = { ...defaultDataDraft(), kind: 'audio' as const, samples: '' };
    expect(dataSummary('int8-static', audio, '8')).toBe(
      'Calibrates on all the others; the last 20 % of the audio windows (at least one) held apart, and up to 8 of them compared on',
    );
    expect(dataSummary('int4', { ...audio, kind: 'tensors' }, '8')).toBe(
      'No calibration; up to 8 of the tensor sets compared on (the last 20 %, held out of static calibration, first)',
    );
  });
});
