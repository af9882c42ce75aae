/** The WAV reader, the resampler and the windows audio is cut into. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  audioWindow,
  decodeWav,
  INT16_SCALE,
  parseWavHeader,
  readWavInfo,
  resample,
  resampledLength,
  windowStarts,
} from '../../../../src/core/quantize/audio';
import { InferscopeError } from '../../../../src/shared/errors';
import { sine, wavBytes, writeWav } from '../../../support/wav';
import { scratch } from './data-helpers';

function failure(run: () => unknown): InferscopeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InferscopeError);
    return error as InferscopeError;
  }
  throw new Error('expected a failure');
}

/** A ramp from −1 to almost 1: every value a format can hold, checked against what the reader gives back. */
const ramp = Float32Array.from({ length: 64 }, (_, i) => -1 + i / 32);

/** Amplitude of `hz` in `x` (sampled at `rate`): the magnitude of its DFT bin, doubled, over the length. */
function amplitudeAt(x: Float32Array, hz: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let n = 0; n < x.length; n++) {
    re += x[n]! * Math.cos((2 * Math.PI * hz * n) / rate);
    im -= x[n]! * Math.sin((2 * Math.PI * hz * n) / rate);
  }
  return (2 * Math.hypot(re, im)) / x.length;
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum / (to - from));
}

describe('WAV files', () => {
  it.each([
    { bits: 8, float: false, tolerance: 1 / 128 },
    { bits: 16, float: false, tolerance: 1 / 32768 },
    { bits: 24, float: false, tolerance: 1 / 8388608 },
    { bits: 32, float: false, tolerance: 1e-9 },
    { bits: 32, float: true, tolerance: 1e-7 },
    { bits: 64, float: true, tolerance: 1e-12 },
  ])('reads $bits-bit (float: $float) samples into [-1, 1]', ({ bits, float, tolerance }) => {
    const audio = decodeWav(wavBytes([ramp], { sampleRate: 8000, bits, float }), 'ramp.wav');
    expect(audio).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: bits, encoding: float ? 'float' : 'pcm', frames: 64 });
    ramp.forEach((v, i) => expect(Math.abs(audio.samples[i]! - v)).toBeLessThanOrEqual(tolerance));
  });

  it('mixes stereo to mono, reads the extensible header, and skips other chunks (odd sizes padded)', () => {
    const left = Float32Array.from({ length: 10 }, (_, i) => i / 10);
    const right = Float32Array.from({ length: 10 }, (_, i) => -i / 20);
    const bytes = wavBytes([left, right], {
      sampleRate: 44100,
      bits: 16,
      extensible: true,
      extraChunks: [
        { id: 'LIST', body: new Uint8Array(7).fill(65) },
        { id: 'fact', body: new Uint8Array(4) },
      ],
    });
    const audio = decodeWav(bytes, 'stereo.wav');
    expect(audio).toMatchObject({ channels: 2, sampleRate: 44100, frames: 10 });
    audio.samples.forEach((v, i) => expect(v).toBeCloseTo((i / 10 - i / 20) / 2, 4));
  });

  it('refuses a truncated data chunk, naming the file', () => {
    const bytes = wavBytes([ramp], { sampleRate: 16000, bits: 16 });
    const error = failure(() => decodeWav(bytes.subarray(0, bytes.length - 10), '/data/cut.wav'));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/^cut\.wav: is truncated: its data chunk declares 128 bytes/);
    expect(error.detail).toBe('/data/cut.wav');
    expect(failure(() => decodeWav(bytes.subarray(0, 20), 'head.wav')).message).toContain('truncated');
    expect(failure(() => decodeWav(bytes.subarray(0, 8), 'tiny.wav')).message).toContain('truncated');
  });

  it('refuses other codecs and other files, saying what it reads', () => {
    const mulaw = wavBytes([ramp], { sampleRate: 8000, bits: 8, formatTag: 7 });
    const error = failure(() => decodeWav(mulaw, '/calls/call.wav'));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain('call.wav: holds µ-law audio');
    expect(error.message).toContain('16, 24 or 32-bit PCM');
    expect(error.message).toContain('ffmpeg');
    const twelveBits = wavBytes([ramp], { sampleRate: 8000, bits: 16 });
    new DataView(twelveBits.buffer).setUint16(34, 12, true);
    expect(failure(() => decodeWav(twelveBits, 'odd.wav')).message).toContain('12-bit PCM');
    expect(failure(() => decodeWav(new TextEncoder().encode('ID3 not a wave file at all'), 'song.wav')).message).toContain(
      'not a WAV file',
    );
    const noData = wavBytes([new Float32Array(0)], { sampleRate: 8000, bits: 16 }).subarray(0, 36);
    expect(failure(() => decodeWav(noData, 'empty.wav')).message).toContain('no data chunk');
  });

  it('takes a data chunk of unknown size (a stream) to the end of the file', () => {
    const bytes = wavBytes([ramp], { sampleRate: 8000, bits: 16 });
    new DataView(bytes.buffer).setUint32(40, 0xffffffff, true);
    expect(decodeWav(bytes, 'stream.wav').frames).toBe(64);
  });

  describe('on disk', () => {
    let dir: string;
    let remove: () => void;
    beforeEach(() => ({ dir, remove } = scratch()));
    afterEach(() => remove());

    it('reads the header from the start of the file, or the whole file when chunks before the samples are large', async () => {
      const file = path.join(dir, 'a.wav');
      writeWav(file, [sine(440, 16000, 2)], { sampleRate: 16000, bits: 24 });
      expect(await readWavInfo(file)).toMatchObject({ sampleRate: 16000, frames: 32000, dataOffset: 44, dataBytes: 96000 });
      const big = path.join(dir, 'big.wav');
      writeWav(big, [sine(440, 16000, 0.5)], {
        sampleRate: 16000,
        bits: 16,
        extraChunks: [{ id: 'JUNK', body: new Uint8Array(100_001) }],
      });
      expect(await readWavInfo(big)).toMatchObject({ frames: 8000 });
      writeFileSync(path.join(dir, 'bad.wav'), 'nope');
      await expect(readWavInfo(path.join(dir, 'bad.wav'))).rejects.toMatchObject({ code: 'INPUT_INVALID' });
      await expect(readWavInfo(path.join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    });
  });

  it('says when a header needs more of the file than it was given', () => {
    const bytes = wavBytes([ramp], { sampleRate: 8000, bits: 16, extraChunks: [{ id: 'JUNK', body: new Uint8Array(200) }] });
    expect(parseWavHeader(bytes.subarray(0, 100), 'x.wav', bytes.length)).toBeNull();
    expect(parseWavHeader(bytes, 'x.wav')).toMatchObject({ frames: 64 });
  });
});

describe('resampling', () => {
  it.each([
    { from: 44100, to: 16000, hz: 1000 },
    { from: 48000, to: 16000, hz: 3000 },
    { from: 8000, to: 16000, hz: 1500 },
    { from: 22050, to: 16000, hz: 6000 },
  ])('keeps a $hz Hz sine at its frequency and amplitude from $from to $to Hz', ({ from, to, hz }) => {
    const out = resample(sine(hz, from, 1, 0.5), from, to);
    expect(out.length).toBe(to);
    // Away from the edges (the filter sees silence past them).
    const middle = out.subarray(200, to - 200);
    expect(amplitudeAt(middle, hz, to)).toBeCloseTo(0.5, 2);
    expect(rms(middle)).toBeCloseTo(0.5 / Math.SQRT2, 2);
    // Nothing at other frequencies: the residual after removing the sine is tiny.
    const expected = sine(hz, to, 1, 0.5);
    let error = 0;
    for (let i = 200; i < to - 200; i++) error = Math.max(error, Math.abs(out[i]! - expected[i]!));
    expect(error).toBeLessThan(0.01);
  });

  it('removes what the lower rate cannot hold instead of folding it back (anti-aliasing)', () => {
    // 12 kHz at 48 kHz would alias to 4 kHz at 16 kHz.
    const out = resample(sine(12_000, 48_000, 1, 0.5), 48_000, 16_000);
    expect(rms(out, 200, out.length - 200)).toBeLessThan(0.5 * 1e-3);
  });

  it('leaves audio at the same rate as it is, and counts lengths', () => {
    const x = sine(440, 16000, 0.1);
    expect(resample(x, 16000, 16000)).toEqual(x);
    expect(resampledLength(44100, 44100, 16000)).toBe(16000);
    expect(resampledLength(0, 44100, 16000)).toBe(0);
    expect(resampledLength(1, 48000, 16000)).toBe(1);
  });
});

describe('windows', () => {
  it('start every hop while a whole window fits; a short clip is one window padded with silence', () => {
    expect(windowStarts(16000, 4000, 4000)).toEqual([0, 4000, 8000, 12000]);
    expect(windowStarts(16000, 4000, 6000)).toEqual([0, 6000, 12000]);
    expect(windowStarts(17999, 4000, 4000)).toEqual([0, 4000, 8000, 12000]);
    expect(windowStarts(1000, 4000, 4000)).toEqual([0]);
    expect(windowStarts(0, 4000, 4000)).toEqual([]);
    const x = Float32Array.from({ length: 5 }, (_, i) => (i + 1) / 10);
    expect(Array.from(audioWindow(x, 3, 4))).toEqual([0.4, 0.5, 0, 0].map((v) => Math.fround(v)));
    expect(Array.from(audioWindow(x, 0, 2, INT16_SCALE))).toEqual([0.1 * 32768, 0.2 * 32768].map((v) => Math.fround(v)));
  });
});
