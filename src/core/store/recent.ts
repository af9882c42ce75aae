import { z } from 'zod';
import { RecentModelSchema, type RecentModel } from '../../shared/domain/app';
import { readJsonFile, writeFileAtomic } from './atomic';

const MAX_RECENT = 12;
const RecentFileSchema = z.object({ version: z.literal(1), models: z.array(RecentModelSchema) });

/** The recent-files list, newest first, kept in one small JSON file. */
export class RecentStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  async list(): Promise<RecentModel[]> {
    await this.queue;
    return this.read();
  }

  add(entry: Omit<RecentModel, 'openedAt'>): Promise<RecentModel[]> {
    return this.update((models) => [{ ...entry, openedAt: new Date().toISOString() }, ...models.filter((m) => m.path !== entry.path)]);
  }

  remove(path: string): Promise<RecentModel[]> {
    return this.update((models) => models.filter((m) => m.path !== path));
  }

  /** Updates are serialized so two quick opens never lose one another. */
  private update(change: (models: RecentModel[]) => RecentModel[]): Promise<RecentModel[]> {
    const next = this.queue.then(async () => {
      const models = change(await this.read()).slice(0, MAX_RECENT);
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, models }, null, 2));
      return models;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private read(): Promise<RecentModel[]> {
    return readJsonFile(this.file, (v) => RecentFileSchema.parse(v).models, []);
  }
}
