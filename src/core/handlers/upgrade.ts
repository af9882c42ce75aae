/**
 * Upgrading a legacy model as its own action: the result goes to the data folder, one file per
 * source content (<data>/upgraded/<first 16 hex of its sha256>/<name>.opset13.onnx), made in the
 * quantization worker so a crash inside onnxruntime while checking it costs the job, not the app.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { withProfile } from '../../shared/domain/profile';
import { InferscopeError } from '../../shared/errors';
import { ensureDir, withDeadline } from '../store/safe-fs';
import { sampleIntRanges } from './quantize';
import { profileOf, resolveModel, type AreaHandlers, type CoreContext } from './context';

/** A checked upgrade of a large model runs both models a few times; a hung worker still ends. */
const UPGRADE_TIMEOUT_MS = 30 * 60_000;
const ID = /^[0-9a-f]{16}$/;

export function upgradeHandlers(ctx: CoreContext): AreaHandlers<'model.upgrade'> {
  return {
    'model.upgrade': async (request) => {
      const model = await resolveModel(ctx.layout, request.source);
      const { sha256, profile } = await profileOf(ctx, model.path, model.sample);
      const merged = withProfile(profile, request);
      const id = sha256.slice(0, 16);
      const dir = path.join(ctx.layout.upgraded, id);
      const fileName = upgradedName(model.sample ?? path.basename(model.path));
      await ensureDir(dir);
      const outputPath = path.join(dir, fileName);
      const ranges = model.sample ? sampleIntRanges(model.sample) : undefined;
      const result = await ctx.quantizeSupervisor.request(
        {
          type: 'upgrade',
          modelPath: model.path,
          outputPath,
          ...(Object.keys(merged.dims).length > 0 ? { dims: merged.dims } : {}),
          ...(Object.keys(merged.values).length > 0 ? { inputValues: merged.values } : {}),
          ...(ranges ? { intRanges: ranges } : {}),
        },
        { timeoutMs: UPGRADE_TIMEOUT_MS },
      );
      return { path: outputPath, fileName, id, sizeBytes: result.sizeBytes, report: result.report };
    },
  };
}

/** "det.onnx" → "det.opset13.onnx". */
export function upgradedName(name: string): string {
  const base = name.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'model';
  return `${base}.opset13.onnx`;
}

/** The upgraded model made from the source with this id (for the browser host's download). */
export async function upgradedFile(root: string, id: string): Promise<{ path: string; fileName: string }> {
  if (!ID.test(id)) throw new InferscopeError('MODEL_NOT_FOUND', 'There is no such upgraded model.');
  const dir = path.join(root, id);
  const names = await withDeadline(fs.readdir(dir), 'Finding the upgraded model').catch(() => [] as string[]);
  const fileName = names.find((n) => n.endsWith('.opset13.onnx'));
  if (!fileName) throw new InferscopeError('MODEL_NOT_FOUND', 'There is no such upgraded model.');
  return { path: path.join(dir, fileName), fileName };
}
