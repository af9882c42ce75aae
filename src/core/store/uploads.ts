/**
 * Models uploaded through the browser host: one folder each under the data folder's uploads/,
 * a size limit checked before and while the bytes arrive, and nothing kept longer than needed
 * (removed when the model is closed or removed from Recent, and leftovers on start). Models sent
 * by another machine's app are kept by content instead, so each is sent once (cached, receiveByContent).
 */
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
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
/**
 * Models kept by content, sent by another machine's Inferscope (docs/machines.md): uploads/sha256/<hex>/<name>,
 * one file (and hard links under other names it was sent as), kept while used, removed after a week unused.
 */
const CACHE_FOLDER = 'sha256';
const SHA256 = /^[0-9a-f]{64}$/;
export const STALE_CACHED_MODEL_MS = 7 * 24 * 60 * 60 * 1000;

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
    const name = sanitizeFileName(fileName);
    const folder = path.join(this.dir, randomBytes(6).toString('hex'));
    await this.store(body, folder, name, declaredBytes);
    return path.join(folder, name);
  }

  /**
   * The model kept with this content, under `fileName` (a hard link when it was first sent under another name),
   * or null when it is not here. Asking counts as using it.
   */
  async cached(sha256: string, fileName: string): Promise<string | null> {
    const folder = this.cacheFolder(sha256);
    const names = (await fs.readdir(folder).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
    const first = names[0];
    if (first === undefined) return null;
    const name = sanitizeFileName(fileName);
    const target = path.join(folder, name);
    if (!names.includes(name)) {
      await fs.link(path.join(folder, first), target).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') await fs.copyFile(path.join(folder, first), target);
      });
    }
    const now = new Date();
    await fs.utimes(folder, now, now).catch(() => undefined);
    return target;
  }

  /**
   * Stores a model sent by content: its bytes must hash to `sha256` (else BAD_REQUEST and nothing stays), within
   * the same limit as any upload. Two senders of the same model at once both end with the one kept.
   */
  async receiveByContent(body: Readable, fileName: string, declaredBytes: number | null, sha256: string): Promise<string> {
    const folder = this.cacheFolder(sha256);
    const name = sanitizeFileName(fileName);
    const incoming = path.join(this.dir, CACHE_FOLDER, `.incoming-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    await ensureDir(path.join(this.dir, CACHE_FOLDER));
    await this.store(body, incoming, name, declaredBytes, hasher);
    try {
      if (hash.digest('hex') !== sha256) {
        throw new InferscopeError('BAD_REQUEST', `${name} does not match the sha256 it was sent with: it changed or was cut on the way.`);
      }
      await fs.rename(incoming, folder).catch(async (error: NodeJS.ErrnoException) => {
        // Another sender finished first: theirs is kept.
        if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw ioError(error, `the uploaded model ${name}`);
      });
    } finally {
      await fs.rm(incoming, { recursive: true, force: true }).catch(() => undefined);
    }
    const kept = await this.cached(sha256, name);
    if (kept === null) throw new InferscopeError('IO_ERROR', `${name} was received but could not be kept.`);
    return kept;
  }

  private cacheFolder(sha256: string): string {
    if (!SHA256.test(sha256)) throw new InferscopeError('BAD_REQUEST', 'A model by content is named by its sha256: 64 hex digits.');
    return path.join(this.dir, CACHE_FOLDER, sha256);
  }

  /** Streams `body` into folder/name (the folder is new); past the limit, or on any failure, nothing stays. */
  private async store(body: Readable, folder: string, name: string, declaredBytes: number | null, tap?: Transform): Promise<void> {
    const limit = await this.limitBytes();
    if (declaredBytes !== null && declaredBytes > limit) throw tooLarge(name, declaredBytes, limit);
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
      const target = createWriteStream(path.join(folder, name), { flags: 'wx' });
      await (tap ? pipeline(body, counter, tap, target) : pipeline(body, counter, target));
    } catch (error) {
      await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined);
      throw ioError(error, `the uploaded model ${name}`);
    }
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

  /**
   * Removes uploads older than `maxAgeMs` (left by a host that stopped), models kept by content and unused for
   * STALE_CACHED_MODEL_MS, and parts of ones never finished; answers how many went.
   */
  async removeStale(maxAgeMs = STALE_UPLOAD_MS, now = Date.now()): Promise<number> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const cache = path.join(this.dir, CACHE_FOLDER);
    const cached = await fs.readdir(cache).catch(() => [] as string[]);
    const candidates = [
      ...names.filter((n) => FOLDER.test(n)).map((n) => ({ folder: path.join(this.dir, n), maxAgeMs })),
      ...cached.filter((n) => SHA256.test(n)).map((n) => ({ folder: path.join(cache, n), maxAgeMs: STALE_CACHED_MODEL_MS })),
      ...cached.filter((n) => n.startsWith('.incoming-')).map((n) => ({ folder: path.join(cache, n), maxAgeMs })),
    ];
    let removed = 0;
    for (const candidate of candidates) {
      const stat = await fs.stat(candidate.folder).catch(() => null);
      if (!stat || now - stat.mtimeMs < candidate.maxAgeMs) continue;
      await fs.rm(candidate.folder, { recursive: true, force: true }).catch(() => undefined);
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
