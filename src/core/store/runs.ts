/**
 * Benchmark runs on disk: one JSON document per run (atomic writes, so a crash mid-save never
 * leaves a torn file) and a folder beside it for profiling traces.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { RUN_SCHEMA, RunDocumentSchema, type RunDocument, type RunSummary } from '../../shared/domain/run';
import { runSetupText } from '../../shared/advice/setups';
import { InferscopeError } from '../../shared/errors';
import { writeFileAtomic } from './atomic';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$/;

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-').replace('Z', '')}-${randomBytes(3).toString('hex')}`;
}

export function summarizeRun(doc: RunDocument): RunSummary {
  const done = doc.configs.filter((c) => c.status === 'done' && c.latencyMs);
  const best = done.reduce<RunSummary['best']>((acc, c) => {
    const median = c.latencyMs?.median ?? Infinity;
    return acc === null || median < acc.medianMs ? { configId: c.id, medianMs: median } : acc;
  }, null);
  return {
    id: doc.id,
    createdAt: doc.createdAt,
    finishedAt: doc.finishedAt,
    status: doc.status,
    model: doc.model.name,
    variant: doc.model.variant,
    machine: `${doc.machine ? `${doc.machine.name} · ` : ''}${[
      doc.environment.hardware.cpu.brand,
      ...doc.environment.hardware.gpus.slice(0, 1).map((gpu) => gpu.name),
    ].join(' + ')}`,
    setup: runSetupText(doc),
    configs: doc.configs.length,
    done: done.length,
    best,
    imported: doc.importedFrom !== null,
    ...(doc.machine ? { remote: doc.machine } : {}),
  };
}

export class RunStore {
  /**
   * Documents of saved runs that a later save could not write (a full disk): get and list answer
   * with them in this process, so what the run measured and why it stopped stay visible; the file
   * keeps the last complete save. A save that succeeds again drops them.
   */
  private readonly unsaved = new Map<string, RunDocument>();

  constructor(
    readonly dir: string,
    /** Runs this process is measuring right now; any other run still marked running was interrupted. */
    private readonly isActive: (id: string) => boolean = () => false,
  ) {}

  private file(id: string): string {
    if (!ID_PATTERN.test(id)) throw new InferscopeError('RUN_NOT_FOUND', `No run with id ${id}`);
    return path.join(this.dir, `${id}.json`);
  }

  /** Folder for files that belong to a run (profiling traces). */
  artifactsDir(id: string): string {
    return path.join(this.dir, id);
  }

  async save(doc: RunDocument): Promise<void> {
    const file = this.file(doc.id);
    try {
      await writeFileAtomic(file, JSON.stringify(doc));
      this.unsaved.delete(doc.id);
    } catch (error) {
      if (await exists(file)) this.unsaved.set(doc.id, structuredClone(doc));
      throw error;
    }
  }

  async get(id: string): Promise<RunDocument> {
    const unsaved = this.unsaved.get(id);
    if (unsaved) return this.settle(structuredClone(unsaved));
    let text: string;
    try {
      text = await fs.readFile(this.file(id), 'utf8');
    } catch {
      throw new InferscopeError('RUN_NOT_FOUND', `No run with id ${id}`);
    }
    return this.settle(parseRunDocument(text, `${id}.json`));
  }

  async list(): Promise<RunSummary[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const summaries: RunSummary[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      try {
        const unsaved = this.unsaved.get(name.slice(0, -'.json'.length));
        const doc = this.settle(unsaved ?? parseRunDocument(await fs.readFile(path.join(this.dir, name), 'utf8'), name));
        summaries.push(summarizeRun(doc));
      } catch {
        // A file that is not a run document (or from a newer Inferscope) is not listed.
      }
    }
    return summaries.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async delete(id: string): Promise<void> {
    if (this.isActive(id)) throw new InferscopeError('BAD_REQUEST', 'This run is still measuring: cancel it first.');
    await fs.rm(this.file(id), { force: true });
    await fs.rm(this.artifactsDir(id), { recursive: true, force: true });
    this.unsaved.delete(id);
  }

  /** Adds a run document made elsewhere (another machine, the CLI's --json). */
  async import(text: string, source: string): Promise<RunDocument> {
    const doc = parseRunDocument(text, source);
    let id = doc.id;
    if (
      !ID_PATTERN.test(id) ||
      (await fs.stat(this.file(id)).then(
        () => true,
        () => false,
      ))
    )
      id = newRunId();
    const imported: RunDocument = { ...doc, id, importedFrom: source, status: doc.status === 'running' ? 'interrupted' : doc.status };
    await this.save(imported);
    return imported;
  }

  /** A run left "running" by a process that is gone keeps what it finished and is marked interrupted. */
  private settle(doc: RunDocument): RunDocument {
    if (doc.status !== 'running' || this.isActive(doc.id)) return doc;
    return {
      ...doc,
      status: 'interrupted',
      configs: doc.configs.map((c) => (c.status === 'running' || c.status === 'pending' ? { ...c, status: 'cancelled' } : c)),
    };
  }
}

function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

export function parseRunDocument(text: string, source: string): RunDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InferscopeError('BAD_REQUEST', `${source} is not JSON.`);
  }
  if (!value || typeof value !== 'object' || (value as { schema?: unknown }).schema !== RUN_SCHEMA) {
    throw new InferscopeError('BAD_REQUEST', `${source} is not an Inferscope run document.`);
  }
  const parsed = RunDocumentSchema.safeParse(value);
  if (!parsed.success) {
    const version = (value as { schemaVersion?: unknown }).schemaVersion;
    const issue = parsed.error.issues[0];
    throw new InferscopeError(
      'BAD_REQUEST',
      `${source} is a run document Inferscope cannot read (schema version ${String(version)}): ` +
        `${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
    );
  }
  return parsed.data;
}
