/**
 * Input profiles by model: one small JSON file, keyed by the sha256 of the model file, so a profile
 * follows the model's content (a re-upload or a copy elsewhere finds it again), not where it lies.
 */
import { z } from 'zod';
import { InputProfileSchema, type InputProfile } from '../../shared/domain/profile';
import { readJsonFile, writeFileAtomic } from './atomic';

/** Oldest profiles go beyond this many models. */
const MAX_PROFILES = 500;
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const EntrySchema = InputProfileSchema.extend({ model: z.string() });
const ProfilesFileSchema = z.object({ version: z.literal(1), profiles: z.record(Sha256, EntrySchema) });
type Entries = Record<string, z.infer<typeof EntrySchema>>;

export class ProfileStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  async get(sha256: string): Promise<InputProfile | null> {
    await this.queue;
    const entry = (await this.read())[sha256];
    return entry ? { dims: entry.dims, values: entry.values, savedAt: entry.savedAt, origin: 'saved' } : null;
  }

  /** Replaces the model's profile; an empty one removes it. */
  save(sha256: string, model: string, profile: Pick<InputProfile, 'dims' | 'values'>): Promise<InputProfile | null> {
    Sha256.parse(sha256);
    const empty = Object.keys(profile.dims).length === 0 && Object.keys(profile.values).length === 0;
    const saved: InputProfile = { dims: profile.dims, values: profile.values, savedAt: new Date().toISOString(), origin: 'saved' };
    return this.update((entries) => {
      const { [sha256]: _old, ...rest } = entries;
      return empty ? rest : { ...rest, [sha256]: { ...saved, model } };
    }).then(() => (empty ? null : saved));
  }

  /** Updates are serialized so two quick saves never lose one another. */
  private update(change: (entries: Entries) => Entries): Promise<void> {
    const next = this.queue.then(async () => {
      const changed = Object.entries(change(await this.read()))
        .sort((a, b) => (b[1].savedAt ?? '').localeCompare(a[1].savedAt ?? ''))
        .slice(0, MAX_PROFILES);
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, profiles: Object.fromEntries(changed) }, null, 2));
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private read(): Promise<Entries> {
    return readJsonFile(this.file, (v) => ProfilesFileSchema.parse(v).profiles, {});
  }
}
