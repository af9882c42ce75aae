/** Opening and explaining models: samples, inspection, Recent, and uploads that end with their use. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { inspectModel } from '../onnx/inspect';
import { listSamples } from '../zoo';
import { withProfile } from '../../shared/domain/profile';
import { originOf, profileOf, resolveModel, type AreaHandlers, type CoreContext } from './context';

const fileExists = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    () => true,
    () => false,
  );

export function modelHandlers(
  ctx: CoreContext,
): AreaHandlers<'samples.list' | 'model.inspect' | 'model.close' | 'recent.list' | 'recent.remove'> {
  const { recent, uploads } = ctx;
  return {
    'samples.list': async () => listSamples(),

    // Only a file that inspects as a model goes into Recent; its profile is saved only once it does.
    'model.inspect': async (request) => {
      const model = await resolveModel(ctx.layout, request.source);
      const saved = await profileOf(ctx, model.path, model.sample);
      const effective = request.saveProfile ? withProfile(null, request) : withProfile(saved.profile, request);
      const info = await inspectModel(model.path, { dims: effective.dims });
      const size = await fs.stat(model.path).then(
        (s) => s.size,
        () => null,
      );
      const name = model.sample ?? path.basename(model.path);
      const profile = request.saveProfile ? await ctx.profiles.save(saved.sha256, name, effective) : saved.profile;
      await recent.add({ path: model.path, name, sample: model.sample, sizeBytes: size });
      return { ...info, sha256: saved.sha256, profile, convertedFrom: await originOf(ctx.layout, model.path) };
    },

    'model.close': async (request) => {
      if (request.source.kind !== 'path' || !(await uploads.remove(request.source.path))) return { removed: false };
      await recent.remove(path.resolve(request.source.path));
      return { removed: true };
    },

    // An upload removed while the host was down (leftovers go after a day) is no longer listed.
    'recent.list': async () => {
      const models = await recent.list();
      const gone = await Promise.all(models.map(async (m) => uploads.folderOf(m.path) !== null && !(await fileExists(m.path))));
      return models.filter((_, i) => !gone[i]);
    },

    'recent.remove': async (request) => {
      await uploads.remove(request.path);
      return recent.remove(request.path);
    },
  };
}
