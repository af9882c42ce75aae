import { it } from 'vitest';
import { buildSampleModel } from '../../../src/core/zoo';
import { int8Static } from '../../../src/core/quantize/static';
import { optimizedOps, quality, sampleInputs } from './helpers';

it('scratch', async () => {
  const name = 'resnet-mini';
  const model = buildSampleModel(name);
  const calib = sampleInputs(name, model, 4, 3, { batch: 2 });
  const inputs = sampleInputs(name, model, 2, 7, { batch: 2 });
  for (const activationType of ['int8', 'uint8'] as const) for (const perChannel of [true]) for (const calibrationMethod of ['minmax'] as const) {
    const { model: q } = await int8Static.apply(model, { mode: 'int8-static', perChannel, activationType, calibrationMethod, calibrationData: calib });
    const ops = await optimizedOps(q);
    const qual = await quality(model, q, inputs);
    console.log(activationType, perChannel, calibrationMethod, ops.filter((o) => o === 'QLinearConv').length, ops.filter((o) => o === 'Conv').length, qual.logits!.sqnrDb, qual.logits!.top1Agreement);
  }
});
