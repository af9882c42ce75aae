/** WAV files written by the tests: integer PCM or float, any channel count, extra chunks, the extensible header. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface WavOptions {
  sampleRate: number;
  /** Bits per sample: 8, 16, 24 or 32 (PCM), 32 or 64 (float). */
  bits: number;
  float?: boolean;
  /** Chunks written between fmt and data (odd sizes get their pad byte). */
  extraChunks?: { id: string; body: Uint8Array }[];
  /** WAVE_FORMAT_EXTENSIBLE header instead of the plain one. */
  extensible?: boolean;
  /** A format tag other than PCM or float (µ-law is 7), to write a file Inferscope must refuse. */
  formatTag?: number;
}

function chunk(id: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length % 2));
  out.set(new TextEncoder().encode(id), 0);
  new DataView(out.buffer).setUint32(4, body.length, true);
  out.set(body, 8);
  return out;
}

/** The bytes of a WAV file; `channels` are the per-channel samples in [-1, 1] (all of one length). */
export function wavBytes(channels: readonly Float32Array[], options: WavOptions): Uint8Array {
  const count = channels.length;
  const frames = channels[0]?.length ?? 0;
  const bytes = options.bits / 8;
  const data = new Uint8Array(frames * count * bytes);
  const view = new DataView(data.buffer);
  for (let frame = 0; frame < frames; frame++) {
    for (let c = 0; c < count; c++) {
      const v = Math.max(-1, Math.min(1, channels[c]![frame]!));
      const at = (frame * count + c) * bytes;
      if (options.float) {
        if (options.bits === 32) view.setFloat32(at, v, true);
        else view.setFloat64(at, v, true);
      } else if (options.bits === 8) view.setUint8(at, Math.round(Math.min(255, 128 + v * 128)));
      else if (options.bits === 16) view.setInt16(at, Math.round(Math.min(32767, v * 32768)), true);
      else if (options.bits === 24) {
        const x = Math.round(Math.min(8388607, v * 8388608));
        view.setUint8(at, x & 0xff);
        view.setUint8(at + 1, (x >> 8) & 0xff);
        view.setInt8(at + 2, x >> 16);
      } else view.setInt32(at, Math.round(Math.min(2147483647, v * 2147483648)), true);
    }
  }
  const tag = options.formatTag ?? (options.float ? 3 : 1);
  const fmt = new Uint8Array(options.extensible ? 40 : 16);
  const f = new DataView(fmt.buffer);
  f.setUint16(0, options.extensible ? 0xfffe : tag, true);
  f.setUint16(2, count, true);
  f.setUint32(4, options.sampleRate, true);
  f.setUint32(8, options.sampleRate * count * bytes, true);
  f.setUint16(12, count * bytes, true);
  f.setUint16(14, options.bits, true);
  if (options.extensible) {
    f.setUint16(16, 22, true);
    f.setUint16(18, options.bits, true);
    f.setUint32(20, count === 2 ? 3 : 4, true);
    // The sub-format GUID starts with the format tag.
    f.setUint16(24, tag, true);
    fmt.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  const parts = [chunk('fmt ', fmt), ...(options.extraChunks ?? []).map((c) => chunk(c.id, c.body)), chunk('data', data)];
  const size = parts.reduce((sum, p) => sum + p.length, 4);
  const out = new Uint8Array(8 + size);
  out.set(new TextEncoder().encode('RIFF'), 0);
  new DataView(out.buffer).setUint32(4, size, true);
  out.set(new TextEncoder().encode('WAVE'), 8);
  let at = 12;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function writeWav(file: string, channels: readonly Float32Array[], options: WavOptions): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, wavBytes(channels, options));
}

/** `seconds` of a sine of `hz` at `rate`, amplitude `amplitude`. */
export function sine(hz: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
}
