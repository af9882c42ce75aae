/**
 * The desktop app keeps other machines' access tokens with the operating system's secret storage
 * (Electron's safeStorage: Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux), sealed
 * in machine-tokens.json in its data folder. Where there is none (Linux without a keyring, where
 * safeStorage falls back to a fixed key), tokens stay in memory only and each machine says so.
 */
import { FileSecretStore, MemorySecretStore, type SecretStore } from '../core/machines';

/** The part of Electron's safeStorage used here: typed, so the adapter is tested with any implementation of it. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which backend seals ('basic_text' is a fixed key, not a secret store). */
  getSelectedStorageBackend?(): string;
}

function backendOf(storage: SafeStorageLike): string | null {
  try {
    return storage.getSelectedStorageBackend?.() ?? null;
  } catch {
    return null;
  }
}

export function osSecretStore(storage: SafeStorageLike, file: string): SecretStore {
  if (!storage.isEncryptionAvailable() || backendOf(storage) === 'basic_text') return new MemorySecretStore();
  return new FileSecretStore(file, {
    encrypt: (token) => storage.encryptString(token),
    decrypt: (sealed) => storage.decryptString(sealed),
  });
}
