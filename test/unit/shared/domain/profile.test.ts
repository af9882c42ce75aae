import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeProfile, profileIsEmpty, sameProfile, withProfile } from '../../../../src/shared/domain/profile';
import { ProfileStore } from '../../../../src/core/store/profiles';

const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SHA = 'a'.repeat(64);

describe('input profile', () => {
  it('fills what a request leaves open; the request wins name by name', () => {
    const profile = { dims: { H: 640, W: 640 }, values: { sr: { kind: 'number' as const, value: 16000 } } };
    expect(withProfile(profile, { dims: { W: 320 } })).toEqual({ dims: { H: 640, W: 320 }, values: profile.values });
    expect(withProfile(null, {})).toEqual({ dims: {}, values: {} });
  });

  it('reads in the words of --dim and --input', () => {
    expect(describeProfile({ dims: { H: 640, W: 640 }, values: { sr: { kind: 'number', value: 16000 }, state: { kind: 'zeros' } } })).toBe(
      'H=640, W=640; sr=16000, state=zeros',
    );
    expect(describeProfile({ dims: {}, values: {} })).toBe('');
    expect(profileIsEmpty({ dims: {}, values: {} })).toBe(true);
  });

  it('compares regardless of order', () => {
    const a = { dims: { H: 1, W: 2 }, values: { x: { kind: 'ones' as const }, y: { kind: 'zeros' as const } } };
    expect(sameProfile(a, { W: 2, H: 1 }, { y: { kind: 'zeros' }, x: { kind: 'ones' } })).toBe(true);
    expect(sameProfile(a, { W: 2, H: 3 }, a.values)).toBe(false);
    expect(sameProfile(null, {}, {})).toBe(true);
  });
});

describe('profile store', () => {
  it('saves, reads back, replaces, and clears with an empty profile', async () => {
    const store = new ProfileStore(path.join(dir, 'profiles.json'));
    expect(await store.get(SHA)).toBeNull();
    await store.save(SHA, 'det.onnx', { dims: { H: 640 }, values: {} });
    expect(await store.get(SHA)).toMatchObject({ dims: { H: 640 }, values: {}, origin: 'saved' });
    await store.save(SHA, 'det.onnx', { dims: { H: 320 }, values: {} });
    expect((await store.get(SHA))?.dims).toEqual({ H: 320 });
    expect(await store.save(SHA, 'det.onnx', { dims: {}, values: {} })).toBeNull();
    expect(await store.get(SHA)).toBeNull();
  });

  it('refuses a key that is not a sha256, and reads a damaged file as empty', async () => {
    const file = path.join(dir, 'damaged.json');
    writeFileSync(file, '{ not json');
    const store = new ProfileStore(file);
    expect(await store.get(SHA)).toBeNull();
    expect(() => store.save('../../etc/passwd', 'x', { dims: { H: 1 }, values: {} })).toThrow();
    await store.save(SHA, 'x', { dims: { H: 1 }, values: {} });
    expect((await store.get(SHA))?.dims).toEqual({ H: 1 });
  });
});
