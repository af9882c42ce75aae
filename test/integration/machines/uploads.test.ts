/**
 * Models kept by content on the machine that measures (uploads/sha256/<hex>/): found again under
 * any name, checked against their hash, within the upload limit, and removed after a week unused.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { STALE_CACHED_MODEL_MS, UploadStore } from '../../../src/core/store/uploads';

const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-uploads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = Buffer.from('pretend these are the bytes of an ONNX model, sent once');
const sha256 = createHash('sha256').update(bytes).digest('hex');

describe('models kept by content', () => {
  it('keeps a model sent by content, finds it again under another name without a second copy', async () => {
    const store = new UploadStore(path.join(dir, 'a'), 1024);
    expect(await store.cached(sha256, 'model.onnx')).toBeNull();
    const kept = await store.receiveByContent(Readable.from([bytes]), 'model.onnx', bytes.length, sha256);
    expect(readFileSync(kept)).toEqual(bytes);
    const renamed = await store.cached(sha256, '../elsewhere/renamed.onnx');
    expect(renamed).toBe(path.join(store.dir, 'sha256', sha256, 'renamed.onnx'));
    expect(statSync(renamed as string).ino).toBe(statSync(kept).ino);
    // Not an upload of a page: closing a model on that host never removes it.
    expect(await store.remove(kept)).toBe(false);
  });

  it('refuses bytes that do not hash to the sha256 given, a bad sha256, and a model over the limit; nothing stays', async () => {
    const store = new UploadStore(path.join(dir, 'b'), 16);
    await expect(store.receiveByContent(Readable.from([bytes]), 'm.onnx', null, sha256)).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    const roomy = new UploadStore(path.join(dir, 'b'), 1024);
    await expect(roomy.receiveByContent(Readable.from([bytes]), 'm.onnx', null, 'f'.repeat(64))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/does not match the sha256/),
    });
    await expect(roomy.cached('../../etc', 'm.onnx')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(readdirSync(path.join(roomy.dir, 'sha256'))).toEqual([]);
  });

  it('removes models kept by content after a week unused, and keeps the ones in use', async () => {
    const store = new UploadStore(path.join(dir, 'c'), 1024);
    const kept = await store.receiveByContent(Readable.from([bytes]), 'model.onnx', bytes.length, sha256);
    const folder = path.dirname(kept);
    expect(await store.removeStale(undefined, Date.now() + STALE_CACHED_MODEL_MS / 2)).toBe(0);
    const old = new Date(Date.now() - STALE_CACHED_MODEL_MS - 60_000);
    utimesSync(folder, old, old);
    expect(await store.removeStale()).toBe(1);
    expect(existsSync(folder)).toBe(false);
  });
});
