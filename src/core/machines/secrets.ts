/**
 * Where the access tokens of other machines are kept, by host (docs/machines.md#tokens): the
 * desktop app encrypts them with the operating system's secret storage (Electron's safeStorage,
 * behind the `TokenCipher` interface so core never imports Electron), the CLI keeps them in a file
 * only its user can read, the browser host in memory only. INFERSCOPE_MACHINE_TOKEN_<NAME> in the
 * environment wins over all of them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { TokenStorage } from '../../shared/domain/machine';
import { ioError } from '../store/atomic';
import { ensureDir } from '../store/safe-fs';

export interface SecretStore {
  /** Where a token set here is kept. */
  readonly storage: Exclude<TokenStorage, 'environment' | 'missing'>;
  get(id: string): Promise<string | null>;
  set(id: string, token: string): Promise<void>;
  delete(id: string): Promise<void>;
}

/** Lost when the host stops: the browser host (a page elsewhere never makes this host write a secret to disk). */
export class MemorySecretStore implements SecretStore {
  readonly storage = 'memory' as const;
  private readonly tokens = new Map<string, string>();

  async get(id: string): Promise<string | null> {
    return this.tokens.get(id) ?? null;
  }

  async set(id: string, token: string): Promise<void> {
    this.tokens.set(id, token);
  }

  async delete(id: string): Promise<void> {
    this.tokens.delete(id);
  }
}

const TokensFileSchema = z.object({ version: z.literal(1), tokens: z.record(z.string(), z.string()) });

/** Encrypts and decrypts one token: the operating system's secret storage (Electron's safeStorage). */
export interface TokenCipher {
  encrypt(token: string): Buffer;
  decrypt(sealed: Buffer): string;
}

/**
 * Tokens in one JSON file written with mode 0600 (atomically: temp file, fsync, rename). With a cipher each token is
 * sealed by it (base64 of the sealed bytes); without one the file's mode is all that guards them (the CLI's file).
 */
export class FileSecretStore implements SecretStore {
  readonly storage: 'os' | 'file';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly cipher: TokenCipher | null = null,
  ) {
    this.storage = cipher ? 'os' : 'file';
  }

  async get(id: string): Promise<string | null> {
    await this.queue;
    const stored = (await this.read())[id];
    if (stored === undefined) return null;
    if (!this.cipher) return stored;
    try {
      return this.cipher.decrypt(Buffer.from(stored, 'base64'));
    } catch {
      // Sealed by another user or machine's secret storage: as good as missing.
      return null;
    }
  }

  set(id: string, token: string): Promise<void> {
    const stored = this.cipher ? this.cipher.encrypt(token).toString('base64') : token;
    return this.update((tokens) => ({ ...tokens, [id]: stored }));
  }

  delete(id: string): Promise<void> {
    return this.update((tokens) => Object.fromEntries(Object.entries(tokens).filter(([key]) => key !== id)));
  }

  private update(change: (tokens: Record<string, string>) => Record<string, string>): Promise<void> {
    const next = this.queue.then(async () =>
      writePrivateFile(this.file, JSON.stringify({ version: 1, tokens: change(await this.read()) })),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<Record<string, string>> {
    const text = await fs.readFile(this.file, 'utf8').catch(() => null);
    if (text === null) return {};
    try {
      return TokensFileSchema.parse(JSON.parse(text)).tokens;
    } catch {
      return {};
    }
  }
}

/** Writes a file only its owner can read (0600), so that readers see the old or the new content. */
async function writePrivateFile(target: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await ensureDir(path.dirname(target));
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
    await fs.chmod(target, 0o600);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw ioError(error, target);
  }
}

/** INFERSCOPE_MACHINE_TOKEN_GPU_BOX for the machine gpu-box. */
export function tokenVariable(id: string): string {
  return `INFERSCOPE_MACHINE_TOKEN_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** A machine's token and where it came from: the environment first, then the host's store. */
export async function findToken(
  store: SecretStore,
  id: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ token: string; storage: TokenStorage } | null> {
  const fromEnv = env[tokenVariable(id)];
  if (fromEnv) return { token: fromEnv, storage: 'environment' };
  const kept = await store.get(id);
  return kept === null ? null : { token: kept, storage: store.storage };
}

/** What a token's storage means for the person, for the machine's status. */
export function tokenNote(storage: TokenStorage, id: string): string {
  switch (storage) {
    case 'os':
      return "Kept encrypted by this computer's secret storage.";
    case 'file':
      return 'Kept in machine-tokens.json in the data folder, readable by this user only (mode 0600).';
    case 'memory':
      return 'Kept in memory only: it is gone when this app or host stops, and the machine must be added again.';
    case 'environment':
      return `Taken from ${tokenVariable(id)}.`;
    case 'missing':
      return (
        'No access token is known for it (one kept in memory only is gone once this app or host stops): add the machine ' +
        'again with the URL `inferscope serve` printed there.'
      );
  }
}
