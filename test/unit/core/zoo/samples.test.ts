import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DataType, decodeModelProto, int64ToNumber } from '../../../../src/core/onnx/codec';
import type { ModelProto, ValueInfoProto } from '../../../../src/core/onnx/codec';
import { buildProbeModel, buildSampleBytes, getSampleInfo, listSamples } from '../../../../src/core/zoo';
import { SampleInfoSchema } from '../../../../src/shared/domain/sample';
import { InferscopeError } from '../../../../src/shared/errors';

/**
 * Content hashes of each sample version. Files are cached on disk by version, so bytes that
 * change under an unchanged version would leave users with stale files. If this fails after
 * an intended change: bump that sample's `version` and put the new hash here.
 */
const PINNED_SHA256: Record<string, string> = {
  'mnist-cnn@1': '1eb0ec7fcb3c44dc88c438a52e6a1ea1347b49e66b8e14b830739dcb664fd797',
  'mlp@1': '035ac667acf9591785c61e00e8b71511d62bfda898ffec19caed3b322d1b675f',
  'resnet-mini@1': 'b242260ca1905c7a8e7eba277b70c7d9cfb1363f5e00ee0affe80e9cace34840',
  'transformer-encoder@1': '6533693f833afb482cd524775fecf2cda22b674b70a5ec5997ec7f17c2286f42',
  'vgg-small@1': 'a38dc594513908be88325c6d1530544db10a390d68972bc58efb215cce7bceed',
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function shapeOf(info: ValueInfoProto | undefined): (number | string)[] {
  return (info?.type?.tensor_type?.shape?.dim ?? []).map((d) => d.dim_param || int64ToNumber(d.dim_value));
}

function floatParams(model: ModelProto): number {
  let count = 0;
  for (const t of model.graph?.initializer ?? []) {
    if (t.data_type !== DataType.FLOAT) continue;
    count += (t.dims ?? []).reduce<number>((a, d) => a * int64ToNumber(d), 1);
  }
  return count;
}

// Built once per test file: the determinism test builds each sample a second time itself.
const built = new Map(listSamples().map((s) => [s.name, buildSampleBytes(s.name)]));

describe('sample catalog', () => {
  it('lists the samples with unique names and file names', () => {
    const samples = listSamples();
    expect(samples.map((s) => s.name)).toEqual(['mnist-cnn', 'mlp', 'resnet-mini', 'transformer-encoder', 'vgg-small']);
    expect(new Set(samples.map((s) => s.fileName)).size).toBe(samples.length);
    for (const s of samples) {
      expect(s.fileName).toBe(`${s.name}-v${s.version}.onnx`);
      expect(s.title.length).toBeGreaterThan(0);
      expect(s.description.length).toBeGreaterThan(20);
      expect(s.approxFileBytes).toBe(s.approxParams * 4);
    }
  });

  it('lists entries the contract accepts unchanged', () => {
    const samples = listSamples();
    expect(SampleInfoSchema.array().parse(samples)).toEqual(samples);
  });

  it('refuses unknown names with SAMPLE_UNKNOWN', () => {
    expect(() => getSampleInfo('resnet-152')).toThrow(InferscopeError);
    let caught: unknown;
    try {
      buildSampleBytes('resnet-152');
    } catch (error) {
      caught = error;
    }
    expect((caught as InferscopeError).code).toBe('SAMPLE_UNKNOWN');
    expect((caught as InferscopeError).detail).toContain('mnist-cnn');
  });

  it('counts multiply-accumulates by hand-checkable rules', () => {
    const macs = Object.fromEntries(listSamples().map((s) => [s.name, s.approxMacs]));
    // mnist-cnn: conv1 28·28·8·(1·9) + conv2 14·14·16·(8·9) + fc 784·10
    expect(macs['mnist-cnn']).toBe(28 * 28 * 8 * 9 + 14 * 14 * 16 * 72 + 784 * 10);
    // mlp: 256·512 + 512·256 + 256·10
    expect(macs.mlp).toBe(256 * 512 + 512 * 256 + 256 * 10);
    // resnet-mini: stem 64²·16·27; layer1 2 × 32²·16·144; layer2 16²·32·(144 + 288 + 16);
    // layer3 8²·64·(288 + 576 + 32); fc 64·10
    expect(macs['resnet-mini']).toBe(
      64 * 64 * 16 * 27 + 2 * 32 * 32 * 16 * 144 + 16 * 16 * 32 * (144 + 288 + 16) + 8 * 8 * 64 * (288 + 576 + 32) + 640,
    );
    // transformer at sequence 128: per layer 128·(4·128² + 2·128·512) + 2·128²·128, two layers, pooler 128²
    expect(macs['transformer-encoder']).toBe(2 * (128 * (4 * 128 * 128 + 2 * 128 * 512) + 2 * 128 * 128 * 128) + 128 * 128);
    // vgg-small (per image): 128²·32·27 + 64²·64·288 + 32²·128·576 + 32²·128·1152
    //   + 2 × 16²·128·1152 + 8192·256 + 256·10 = 393,742,848 ≈ 0.39 G MACs (0.79 GFLOP)
    expect(macs['vgg-small']).toBe(
      128 * 128 * 32 * 27 +
        64 * 64 * 64 * 288 +
        32 * 32 * 128 * 576 +
        32 * 32 * 128 * 1152 +
        2 * 16 * 16 * 128 * 1152 +
        8192 * 256 +
        256 * 10,
    );
    expect(macs['vgg-small']).toBeGreaterThanOrEqual(50_000_000);
  });
});

describe('sample models', () => {
  it.each(listSamples().map((s) => [s.name]))('%s builds the same bytes every time', (name) => {
    const first = built.get(name)!;
    const second = buildSampleBytes(name);
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    const info = getSampleInfo(name);
    expect({ sample: `${name}@${info.version}`, sha256: sha256(first) }).toEqual({
      sample: `${name}@${info.version}`,
      sha256: PINNED_SHA256[`${name}@${info.version}`],
    });
  });

  it.each(listSamples().map((s) => [s.name]))('%s matches its catalog entry', (name) => {
    const info = getSampleInfo(name);
    const bytes = built.get(name)!;
    const model = decodeModelProto(bytes);
    const graph = model.graph!;
    expect(int64ToNumber(model.ir_version)).toBe(8);
    expect(model.opset_import?.map((o) => [o.domain, int64ToNumber(o.version)])).toEqual([['', info.opset]]);
    expect(model.doc_string).toBe(info.description);
    expect(Object.fromEntries((model.metadata_props ?? []).map((p) => [p.key, p.value]))).toEqual({
      'inferscope.sample': name,
      'inferscope.sample.version': String(info.version),
    });
    expect(graph.input?.map((i) => [i.name, shapeOf(i)])).toEqual(info.inputs.map((i) => [i.name, i.shape]));
    expect(graph.output?.map((o) => [o.name, shapeOf(o)])).toEqual(info.outputs.map((o) => [o.name, o.shape]));
    expect(floatParams(model)).toBe(info.approxParams);
    // File size is the weights plus a small graph description.
    expect(bytes.length).toBeGreaterThan(info.approxFileBytes);
    expect(bytes.length).toBeLessThan(info.approxFileBytes * 1.1 + 16_384);
    expect(bytes.length).toBeLessThan(20 * 1024 * 1024);

    const nodeNames = (graph.node ?? []).map((n) => n.name);
    expect(new Set(nodeNames).size).toBe(nodeNames.length);
    const valueNames = [
      ...(graph.input ?? []).map((i) => i.name),
      ...(graph.initializer ?? []).map((t) => t.name),
      ...(graph.node ?? []).flatMap((n) => n.output ?? []),
    ];
    expect(new Set(valueNames).size).toBe(valueNames.length);
    for (const t of graph.initializer ?? []) {
      expect(t.raw_data?.length ?? 0).toBeGreaterThan(0);
      expect(graph.input?.some((i) => i.name === t.name)).toBe(false);
    }
  });

  it('has non-degenerate weights: finite, spread, not all the same', () => {
    for (const { name } of listSamples()) {
      const model = decodeModelProto(built.get(name)!);
      for (const t of model.graph?.initializer ?? []) {
        if (t.data_type !== DataType.FLOAT) continue;
        const raw = t.raw_data!;
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        let min = Infinity;
        let max = -Infinity;
        for (let at = 0; at < raw.byteLength; at += 4) {
          const v = view.getFloat32(at, true);
          // NaN fails both comparisons and would slip through: count it as out of range.
          min = Number.isNaN(v) ? -Infinity : Math.min(min, v);
          max = Number.isNaN(v) ? Infinity : Math.max(max, v);
        }
        expect(max - min, `${name} ${t.name}`).toBeGreaterThan(0);
        // Loose on purpose: resnet-mini's calibrated head carries biases of a few tens.
        expect(Math.max(Math.abs(min), Math.abs(max)), `${name} ${t.name}`).toBeLessThan(100);
        if (t.name?.endsWith('running_var')) expect(min).toBeGreaterThan(0);
      }
    }
  });
});

describe('probe model', () => {
  it('is a tiny fixed MatMul → Add → Relu graph with the same bytes every call', () => {
    const bytes = buildProbeModel();
    expect(Buffer.from(buildProbeModel()).equals(Buffer.from(bytes))).toBe(true);
    const graph = decodeModelProto(bytes).graph!;
    expect(graph.node?.map((n) => n.op_type)).toEqual(['MatMul', 'Add', 'Relu']);
    expect(graph.input?.map((i) => [i.name, shapeOf(i)])).toEqual([['x', [1, 16]]]);
    expect(graph.output?.map((o) => [o.name, shapeOf(o)])).toEqual([['y', [1, 16]]]);
    expect(bytes.length).toBeLessThan(4096);
  });
});
