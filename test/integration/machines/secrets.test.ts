/**
 * Where other machines' tokens are kept: one interface, each host's store. The desktop app's
 * store is the real adapter (src/main/secrets.ts) over an implementation of Electron's safeStorage
 * interface (AES here: the Electron binary cannot run on these machines; src/main/index.ts hands
 * the adapter Electron's own safeStorage, so tsc checks that it has this shape).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSecretStore, MemorySecretStore, findToken, tokenVariable, type SecretStore } from '../../../src/core/machines/secrets';
import { osSecretStore, type SafeStorageLike } from '../../../src/main/secrets';

const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** safeStorage's shape, sealing with AES-256-GCM under a key of its own (as the OS keyring's key would be). */
function aesStorage(available = true, backend?: string): SafeStorageLike {
  const key = randomBytes(32);
  return {
    isEncryptionAvailable: () => available,
    encryptString: (text) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decryptString: (sealed) => {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    },
    ...(backend !== undefined ? { getSelectedStorageBackend: () => backend } : {}),
  };
}

const TOKEN = 'qeUcH-Bv8MWSqGO3F686jSsWt3fJ5EQW';

async function roundTrip(store: SecretStore): Promise<void> {
  expect(await store.get('gpu-box')).toBeNull();
  await store.set('gpu-box', TOKEN);
  await store.set('other', 'another-token-of-enough-length');
  expect(await store.get('gpu-box')).toBe(TOKEN);
  await store.delete('gpu-box');
  expect(await store.get('gpu-box')).toBeNull();
  expect(await store.get('other')).toBe('another-token-of-enough-length');
}

describe('secret stores', () => {
  it('memory: kept for the life of the host only', async () => {
    const store = new MemorySecretStore();
    await roundTrip(store);
    expect(store.storage).toBe('memory');
  });

  it('file (the CLI): a 0600 file that a new process reads back', async () => {
    const file = path.join(dir, 'cli', 'machine-tokens.json');
    await roundTrip(new FileSecretStore(file));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await new FileSecretStore(file).get('other')).toBe('another-token-of-enough-length');
  });

  it("the desktop app: sealed by the OS's secret storage, never in plain text, unreadable under another key", async () => {
    const file = path.join(dir, 'electron', 'machine-tokens.json');
    const storage = aesStorage(true, 'gnome_libsecret');
    const store = osSecretStore(storage, file);
    expect(store.storage).toBe('os');
    await roundTrip(store);
    await store.set('gpu-box', TOKEN);
    expect(readFileSync(file, 'utf8')).not.toContain(TOKEN);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await osSecretStore(storage, file).get('gpu-box')).toBe(TOKEN);
    // Sealed by another user's (or machine's) keyring: as good as missing, not an error.
    expect(await osSecretStore(aesStorage(true), file).get('gpu-box')).toBeNull();
  });

  it('the desktop app without secret storage (or with a fixed key) keeps tokens in memory only', async () => {
    expect(osSecretStore(aesStorage(false), path.join(dir, 'none.json')).storage).toBe('memory');
    expect(osSecretStore(aesStorage(true, 'basic_text'), path.join(dir, 'basic.json')).storage).toBe('memory');
  });

  it('INFERSCOPE_MACHINE_TOKEN_<NAME> wins over the store', async () => {
    const store = new MemorySecretStore();
    await store.set('gpu-box', TOKEN);
    expect(tokenVariable('gpu-box')).toBe('INFERSCOPE_MACHINE_TOKEN_GPU_BOX');
    expect(await findToken(store, 'gpu-box', {})).toEqual({ token: TOKEN, storage: 'memory' });
    expect(await findToken(store, 'gpu-box', { INFERSCOPE_MACHINE_TOKEN_GPU_BOX: 'from-env' })).toEqual({
      token: 'from-env',
      storage: 'environment',
    });
    expect(await findToken(store, 'nobody', {})).toBeNull();
  });
});
