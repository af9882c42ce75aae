/**
 * Converted models in the data folder, one folder per source content:
 * <data>/converted/<first 16 hex of the source's sha256>/<name>.onnx, with converted.json beside it
 * (the ConvertedModel: where it came from, how it was made, its check). Work in progress lives in
 * <data>/converted/.work/<job> and only a model that passed its check is moved in.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConvertedModelSchema, type ConvertedFrom, type ConvertedModel } from '../../shared/domain/convert';
import { InferscopeError } from '../../shared/errors';
import { writeFileAtomic } from '../store/atomic';
import { ensureDir } from '../store/safe-fs';

export const SIDECAR = 'converted.json';
const ID = /^[0-9a-f]{16}$/;

export const convertedId = (sha256: string): string => sha256.slice(0, 16);

/** "cnn.pt" → "cnn.onnx"; a SavedModel folder "resnet" → "resnet.onnx". */
export function convertedName(sourceName: string): string {
  const base = sourceName.replace(/\.(pt|pth|bin|ckpt|pkl|pickle|h5|hdf5|keras|tflite|pb)$/i, '').replace(/[^A-Za-z0-9._-]/g, '_');
  return `${base.replace(/^\.+/, '') || 'model'}.onnx`;
}

async function readSidecar(dir: string): Promise<ConvertedModel | null> {
  try {
    const parsed = ConvertedModelSchema.parse(JSON.parse(await fs.readFile(path.join(dir, SIDECAR), 'utf8')));
    const model = { ...parsed, path: path.join(dir, parsed.fileName) };
    await fs.access(model.path);
    return model;
  } catch {
    return null;
  }
}

export class ConvertedStore {
  constructor(readonly root: string) {}

  /** The conversion of this content, when one passed its check and is still on disk. */
  async find(sha256: string): Promise<ConvertedModel | null> {
    const found = await readSidecar(path.join(this.root, convertedId(sha256)));
    return found && found.source.sha256 === sha256 ? found : null;
  }

  async list(): Promise<ConvertedModel[]> {
    const names = await fs.readdir(this.root).catch(() => [] as string[]);
    const models = await Promise.all(names.filter((n) => ID.test(n)).map((n) => readSidecar(path.join(this.root, n))));
    return models.filter((m): m is ConvertedModel => m !== null).sort((a, b) => b.convertedAt.localeCompare(a.convertedAt));
  }

  /** The converted model with this id (for the browser host's download), or MODEL_NOT_FOUND. */
  async file(id: string): Promise<{ path: string; fileName: string }> {
    const found = ID.test(id) ? await readSidecar(path.join(this.root, id)) : null;
    if (!found) throw new InferscopeError('MODEL_NOT_FOUND', 'There is no such converted model.');
    return { path: path.join(this.root, id, found.fileName), fileName: found.fileName };
  }

  /** A fresh folder for one job's script, config, exported model and check data. */
  async workDir(jobId: string): Promise<string> {
    const dir = path.join(this.root, '.work', `${jobId}-${randomBytes(4).toString('hex')}`);
    await ensureDir(dir);
    return dir;
  }

  /**
   * Moves the checked model's folder (the .onnx and any external data beside it) in place of an
   * earlier conversion of the same content, with the sidecar written first.
   */
  async keep(modelDir: string, model: Omit<ConvertedModel, 'path'>): Promise<ConvertedModel> {
    const target = path.join(this.root, model.id);
    await writeFileAtomic(
      path.join(modelDir, SIDECAR),
      `${JSON.stringify({ ...model, path: path.join(target, model.fileName) }, null, 2)}\n`,
    );
    const old = `${target}.old-${randomBytes(4).toString('hex')}`;
    await fs.rename(target, old).catch(() => undefined);
    await fs.rename(modelDir, target);
    await fs.rm(old, { recursive: true, force: true });
    return { ...model, path: path.join(target, model.fileName) };
  }
}

/**
 * Where a model came from when it is a conversion in `root` (its sidecar names the source), else
 * null: inspect, runs and reports name the PyTorch / TensorFlow file, not only the .onnx.
 */
export async function convertedOrigin(root: string, modelPath: string): Promise<ConvertedFrom | null> {
  const relative = path.relative(path.resolve(root), path.resolve(modelPath));
  if (relative.startsWith('..') || path.isAbsolute(relative) || !relative.includes(path.sep)) return null;
  const found = await readSidecar(path.dirname(path.resolve(modelPath)));
  if (!found || found.fileName !== path.basename(modelPath)) return null;
  const { name, format, label, sha256 } = found.source;
  return { name, format, label, sha256 };
}
