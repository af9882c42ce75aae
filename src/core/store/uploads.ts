/**
 * Models uploaded through the browser host: one folder each under the data folder's uploads/,
 * a size limit checked before and while the bytes arrive, and nothing kept longer than needed
 * (removed when the model is closed or removed from Recent, and leftovers on start).
 */
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InferscopeError } from '../../shared/errors';
import { formatBytes } from '../../shared/stats/format';
import { ioError } from './atomic';
import { ensureDir, withDeadline } from './safe-fs';

export const DEFAULT_UPLOAD_LIMIT_BYTES = 4 * 1024 ** 3;
/** Free disk space an upload leaves untouched, for runs, variants and the system. */
export const UPLOAD_DISK_MARGIN_BYTES = 1024 ** 3;
export const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

const FOLDER = /^[0-9a-f]{12}$/;

function sanitizeFileName(name: string): string {
  const base = path
    .basename(name)
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '');
  return base.slice(-120) || 'model.onnx';
}

export class UploadStore {
  constructor(
    readonly dir: string,
    /** A fixed limit (`serve --max-upload`); without one, 4 GiB or the free disk less a margin, whichever is smaller. */
    private readonly fixedLimitBytes: number | null = null,
  ) {}

  /** The largest upload accepted now. */
  async limitBytes(): Promise<number> {
    if (this.fixedLimitBytes !== null) return this.fixedLimitBytes;
    await ensureDir(this.dir);
    const stats = await withDeadline(fs.statfs(this.dir), 'Reading the free disk space');
    const free = Number(stats.bavail) * Number(stats.bsize);
    return Math.max(0, Math.min(DEFAULT_UPLOAD_LIMIT_BYTES, free - UPLOAD_DISK_MARGIN_BYTES));
  }

  /** Stores one upload; a body past the limit (declared or streamed) is refused and nothing stays. */
  async receive(body: Readable, fileName: string, declaredBytes: number | null): Promise<string> {
    const limit = await this.limitBytes();
    const name = sanitizeFileName(fileName);
    if (declaredBytes !== null && declaredBytes > limit) throw tooLarge(name, declaredBytes, limit);
    const folder = path.join(this.dir, randomBytes(6).toString('hex'));
    const target = path.join(folder, name);
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(received > limit ? tooLarge(name, limit, limit, true) : null, chunk);
      },
    });
    try {
      await ensureDir(this.dir);
      await withDeadline(fs.mkdir(folder), `Creating ${folder}`);
      await pipeline(body, counter, createWriteStream(target, { flags: 'wx' }));
    } catch (error) {
      await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined);
      throw ioError(error, `the uploaded model ${name}`);
    }
    return target;
  }

  /** The upload folder a path lies in, or null when the path is not an upload. */
  folderOf(file: string): string | null {
    const relative = path.relative(this.dir, path.resolve(file));
    const [folder, name, ...rest] = relative.split(path.sep);
    if (!folder || !name || rest.length > 0 || !FOLDER.test(folder)) return null;
    return path.join(this.dir, folder);
  }

  /** Removes an uploaded model; false when the path is not an upload. */
  async remove(file: string): Promise<boolean> {
    const folder = this.folderOf(file);
    if (!folder) return false;
    await withDeadline(fs.rm(folder, { recursive: true, force: true }), `Removing ${folder}`);
    return true;
  }

  /** Removes uploads older than `maxAgeMs` (left by a host that stopped); answers how many went. */
  async removeStale(maxAgeMs = STALE_UPLOAD_MS, now = Date.now()): Promise<number> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names.filter((n) => FOLDER.test(n))) {
      const folder = path.join(this.dir, name);
      const stat = await fs.stat(folder).catch(() => null);
      if (!stat || now - stat.mtimeMs < maxAgeMs) continue;
      await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined);
      removed += 1;
    }
    return removed;
  }
}

function tooLarge(name: string, bytes: number, limit: number, streamed = false): InferscopeError {
  return new InferscopeError(
    'PAYLOAD_TOO_LARGE',
    `${name} is ${streamed ? 'over ' : ''}${formatBytes(bytes)}: uploads to this host are limited to ${formatBytes(limit)} ` +
      '(serve --max-upload SIZE changes it; the default is 4 GiB or the free disk less 1 GiB).',
  );
}
