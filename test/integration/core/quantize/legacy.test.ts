/**
 * Legacy models as users bring them: an IR-3, opset-9 classifier (weights also listed as graph
 * inputs, Clip bounds as attributes, an NCHW Softmax without axis) is quantized after an upgrade
 * that the report states, is upgraded on its own into the data folder through the contract, and
 * an upgrade that computes something else is refused naming the node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataType, encodeModelProto, type ModelProto } from '../../../../src/core/onnx/codec';
import { readModel } from '../../../../src/core/onnx/read';
import { upgradeModel } from '../../../../src/core/onnx/upgrade';
import { encodeModel } from '../../../../src/core/onnx/write';
import { verifyUpgrade } from '../../../../src/core/quantize/upgrade';
import { dispatch } from '../../../../src/shared/contract/dispatch';
import type { CommandName, CommandRequest, CommandResponse } from '../../../../src/shared/contract';
import { floatTensor, makeModel, node, seededValues, tensorValue } from '../../../unit/core/onnx/helpers';
import { scratchServices, type ScratchServices } from '../../../support/services';

const F = DataType.FLOAT;
let s: ScratchServices;
let legacyPath: string;

/** x[N,3,8,8] → Conv 4×3×3×3 → Clip(0, 6) (attributes) → Softmax (no axis: over C·H·W, opset 9) → y. */
function legacyModel(): ModelProto {
  const weights = floatTensor('W', [4, 3, 3, 3], seededValues(108, 3));
  const bias = floatTensor('B', [4], seededValues(4, 4));
  return makeModel({
    irVersion: 3,
    opset: 9,
    inputs: [tensorValue('x', F, ['N', 3, 8, 8]), tensorValue('W', F, [4, 3, 3, 3]), tensorValue('B', F, [4])],
    outputs: [tensorValue('y', F)],
    initializers: [weights, bias],
    nodes: [
      node('Conv', ['x', 'W', 'B'], ['c'], { pads: [1, 1, 1, 1] }, { name: 'conv' }),
      node('Clip', ['c'], ['r'], { min: { float: 0 }, max: { float: 6 } }, { name: 'clip' }),
      node('Softmax', ['r'], ['y'], {}, { name: 'softmax' }),
    ],
  });
}

async function call<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>> {
  const result = await dispatch(s.handlers, command, request, { emit: () => undefined });
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value as CommandResponse<C>;
}

beforeAll(() => {
  s = scratchServices('legacy');
  legacyPath = path.join(s.dir, 'legacy-cnn.onnx');
  writeFileSync(legacyPath, encodeModelProto(legacyModel()));
});

afterAll(async () => {
  await s.dispose();
});

describe('legacy models', () => {
  it('int8 modes say the model is upgraded first instead of refusing it', async () => {
    const modes = await call('quantize.modes', { source: { kind: 'path', path: legacyPath } });
    for (const mode of ['int8-dynamic', 'int8-static', 'fp16'] as const) {
      const m = modes.find((x) => x.mode === mode);
      expect(m, mode).toMatchObject({ ok: true });
      expect(m?.advice.join(' '), mode).toContain('upgraded to IR 8 / opset 13 first');
    }
  });

  it('per-channel static int8 upgrades the model, checks the upgrade, and says so in the report', async () => {
    const variant = await call('quantize.run', {
      request: {
        source: { kind: 'path', path: legacyPath },
        options: { mode: 'int8-static', perChannel: true },
        dims: { N: 1 },
        jobId: 'legacy-static',
        evaluationSamples: 3,
      },
    });
    const upgrade = variant.report.upgrade;
    expect(upgrade).toMatchObject({ fromIr: 3, fromOpset: 9, toIr: 8, toOpset: 13, removedInitializerInputs: 2 });
    expect(upgrade?.changes.map((c) => c.op).sort()).toEqual(['Clip', 'Softmax']);
    expect(upgrade?.verification.samples).toBe(3);
    expect(upgrade?.verification.maxRelDiff).toBeLessThanOrEqual(1e-5);
    expect(variant.report.warnings[0]).toMatch(/^Upgraded before the transformation: IR 3 \/ opset 9 → IR 8 \/ opset 13/);
    const made = await readModel(variant.path);
    expect(Number(made.model.opset_import?.find((o) => !o.domain)?.version)).toBeGreaterThanOrEqual(13);
    expect(made.model.graph?.node?.some((n) => n.op_type === 'DequantizeLinear')).toBe(true);
  });

  it('upgrades on its own into the data folder, verified, and the result opens as a model at opset 13', async () => {
    const result = await call('model.upgrade', { source: { kind: 'path', path: legacyPath }, dims: { N: 2 } });
    expect(result.fileName).toBe('legacy-cnn.opset13.onnx');
    expect(result.path.startsWith(path.join(s.dir, 'upgraded'))).toBe(true);
    expect(existsSync(result.path)).toBe(true);
    expect(result.report.verification.maxRelDiff).toBeLessThanOrEqual(1e-5);
    const info = await call('model.inspect', { source: { kind: 'path', path: result.path } });
    expect(info.irVersion).toBe(8);
    expect(info.opsets.find((o) => o.domain === 'ai.onnx')?.version).toBe(13);
    expect(info.inputs.map((i) => i.name)).toEqual(['x']);
    // The browser host serves it by id; nothing else is reachable through that id.
    expect(await s.services.upgradedFile(result.id)).toEqual({ path: result.path, fileName: result.fileName });
    await expect(s.services.upgradedFile('../../etc/passwd')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    // A model already at opset 13 has nothing to upgrade.
    await expect(call('model.upgrade', { source: { kind: 'path', path: result.path } })).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
    });
  });

  it('an upgrade that computes something else is refused, naming the first node that differs', async () => {
    const original = legacyModel();
    const { model } = upgradeModel(original);
    // Wrong on purpose: the Clip's upper bound of the "upgraded" model moves from 6 to 0.001.
    const clip = model.graph?.node?.find((n) => n.name === 'clip');
    const maxName = clip?.input?.[2] ?? '';
    const bound = model.graph?.initializer?.find((t) => t.name === maxName);
    expect(bound).toBeDefined();
    bound!.raw_data = new Uint8Array(new Float32Array([0.001]).buffer);
    bound!.float_data = [];
    const x = Float32Array.from(seededValues(2 * 3 * 8 * 8, 9), (v) => v * 20);
    await expect(
      verifyUpgrade({
        originalBytes: encodeModelProto(original),
        folder: s.dir,
        original,
        upgraded: model,
        upgradedBytes: encodeModel(model),
        records: [{ x: { type: 'float32', dims: [2, 3, 8, 8], data: x } }],
      }),
    ).rejects.toMatchObject({ code: 'UPGRADE_MISMATCH', detail: 'clip (Clip)' });
  });
});
