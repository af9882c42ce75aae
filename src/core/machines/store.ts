/**
 * The machines saved on this host: machines.json in the data folder, with each machine's name,
 * address (never its token: secrets.ts keeps those), when it was added, its last check and what
 * was sent to it. Updates are serialized, writes atomic.
 */
import { z } from 'zod';
import { MachineStatusSchema, NO_TRANSFERS, TransfersSchema, type MachineStatus, type Transfers } from '../../shared/domain/machine';
import { readJsonFile, writeFileAtomic } from '../store/atomic';

export const StoredMachineSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  addedAt: z.string(),
  status: MachineStatusSchema.nullable().default(null),
  transfers: TransfersSchema.default(NO_TRANSFERS),
});
export type StoredMachine = z.infer<typeof StoredMachineSchema>;

const MachinesFileSchema = z.object({ version: z.literal(1), machines: z.array(StoredMachineSchema) });

export class MachineStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  async list(): Promise<StoredMachine[]> {
    await this.queue;
    return this.read();
  }

  /** By id, else by name (letter case aside): what the CLI's --on and the app's picker give. */
  async find(idOrName: string): Promise<StoredMachine | null> {
    const machines = await this.list();
    const wanted = idOrName.trim().toLowerCase();
    return machines.find((m) => m.id === idOrName) ?? machines.find((m) => m.name.toLowerCase() === wanted) ?? null;
  }

  /** Adds the machine, or replaces the one with its id. */
  put(machine: StoredMachine): Promise<void> {
    return this.update((machines) => [...machines.filter((m) => m.id !== machine.id), machine]);
  }

  remove(id: string): Promise<void> {
    return this.update((machines) => machines.filter((m) => m.id !== id));
  }

  setStatus(id: string, status: MachineStatus): Promise<void> {
    return this.update((machines) => machines.map((m) => (m.id === id ? { ...m, status } : m)));
  }

  addTransfer(id: string, sentBytes: number): Promise<void> {
    const add = (t: Transfers): Transfers =>
      sentBytes > 0 ? { ...t, modelsSent: t.modelsSent + 1, bytesSent: t.bytesSent + sentBytes } : { ...t, modelsFound: t.modelsFound + 1 };
    return this.update((machines) => machines.map((m) => (m.id === id ? { ...m, transfers: add(m.transfers) } : m)));
  }

  private update(change: (machines: StoredMachine[]) => StoredMachine[]): Promise<void> {
    const next = this.queue.then(async () => {
      const machines = change(await this.read());
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, machines }, null, 2));
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private read(): Promise<StoredMachine[]> {
    return readJsonFile(this.file, (v) => MachinesFileSchema.parse(v).machines, []);
  }
}
