/** Opening and explaining models: samples, inspection, Recent, and uploads that end with their use. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { inspectModel } from '../onnx/inspect';
import { listSamples } from '../zoo';
import { resolveModel, type AreaHandlers, type CoreContext } from './context';

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

    // Only a file that inspects as a model goes into Recent.
    'model.inspect': async (request) => {
      const model = await resolveModel(ctx.layout, request.source);
      const info = await inspectModel(model.path, request.dims ? { dims: request.dims } : {});
      const size = await fs.stat(model.path).then(
        (s) => s.size,
        () => null,
      );
      await recent.add({ path: model.path, name: model.sample ?? path.basename(model.path), sample: model.sample, sizeBytes: size });
      return info;
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
