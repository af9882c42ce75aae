import type { RunDocument, RunSummary } from '../../../shared/domain/run';
import type { ErrorInfo } from '../../../shared/errors';
import { BackendError, type Backend } from '../backend';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../../shared/contract/wire';
import { errorInfoOf } from './app.svelte';

/** A run file travels as text in one message; JSON escaping adds a little. */
const MAX_RUN_FILE_BYTES = DEFAULT_MAX_MESSAGE_BYTES - 1024 * 1024;

/** The run history: the list, the run opened from it, deleting and importing runs. */
export class RunsController {
  list = $state.raw<RunSummary[]>([]);
  loaded = $state(false);
  loading = $state(false);
  error = $state.raw<ErrorInfo | null>(null);

  opened = $state.raw<RunDocument | null>(null);
  openingId = $state<string | null>(null);
  openError = $state.raw<ErrorInfo | null>(null);

  /** The run whose Delete was clicked once and now asks to be confirmed. */
  confirmingDelete = $state<string | null>(null);
  importing = $state(false);
  importError = $state.raw<ErrorInfo | null>(null);

  private openSeq = 0;

  constructor(private readonly backend: Backend) {}

  async refresh() {
    this.loading = true;
    try {
      this.list = await this.backend.invoke('runs.list', {});
      this.error = null;
      this.loaded = true;
    } catch (error) {
      this.error = errorInfoOf(error);
    } finally {
      this.loading = false;
    }
  }

  async open(id: string) {
    const seq = ++this.openSeq;
    this.openingId = id;
    this.openError = null;
    try {
      const doc = await this.backend.invoke('runs.get', { id });
      if (seq === this.openSeq) this.opened = doc;
    } catch (error) {
      if (seq === this.openSeq) this.openError = errorInfoOf(error);
    } finally {
      if (seq === this.openSeq) this.openingId = null;
    }
  }

  close() {
    this.openSeq += 1;
    this.opened = null;
    this.openingId = null;
    this.openError = null;
  }

  askDelete(id: string) {
    this.confirmingDelete = id;
  }

  keep() {
    this.confirmingDelete = null;
  }

  async remove(id: string) {
    this.confirmingDelete = null;
    try {
      this.list = await this.backend.invoke('runs.delete', { id });
      this.error = null;
      if (this.opened?.id === id) this.close();
    } catch (error) {
      this.error = errorInfoOf(error);
    }
  }

  /** Adds a run exported elsewhere (another machine, the CLI's --json) and opens it. */
  async importFile(file: File) {
    this.importing = true;
    this.importError = null;
    try {
      if (file.size > MAX_RUN_FILE_BYTES) {
        const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;
        throw new BackendError({
          code: 'PAYLOAD_TOO_LARGE',
          message:
            `${file.name} is ${mib(file.size)}: run files up to ${mib(MAX_RUN_FILE_BYTES)} can be imported here; larger ` +
            `ones are refused by the host.`,
        });
      }
      const text = await file.text();
      const summary = await this.backend.invoke('runs.import', { fileName: file.name, text });
      await this.refresh();
      await this.open(summary.id);
    } catch (error) {
      this.importError = errorInfoOf(error);
    } finally {
      this.importing = false;
    }
  }

  dismissImportError() {
    this.importError = null;
  }
}
