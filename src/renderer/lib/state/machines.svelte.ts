import { LOCAL_MACHINE_ID, type Machine, type MachineStatus } from '../../../shared/domain/machine';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import { takesPlans } from '../logic/machines';
import { errorInfoOf } from './app.svelte';

/**
 * The machines plans can run on (the Machines view, and the machine pickers of Benchmark and Quantize): this machine
 * first, then the `inferscope serve` hosts saved here by the URL they printed. Adding one checks it first; a check
 * asks it again what it runs and its hardware.
 */
export class MachinesController {
  list = $state.raw<Machine[]>([]);
  loading = $state(false);
  loaded = $state(false);
  error = $state.raw<ErrorInfo | null>(null);

  // --- adding one
  url = $state('');
  name = $state('');
  adding = $state(false);
  addError = $state.raw<ErrorInfo | null>(null);
  /** The machine added last, for a moment's confirmation. */
  added = $state<string | null>(null);

  /** Machines being checked now, by id. */
  checking = $state.raw<readonly string[]>([]);
  /** Asked to remove, waiting for the confirmation. */
  confirmingRemove = $state<string | null>(null);
  removeError = $state.raw<ErrorInfo | null>(null);

  remotes: Machine[] = $derived(this.list.filter((machine) => !machine.local));
  /** Machines a plan can be sent to now. */
  usable: Machine[] = $derived(this.list.filter(takesPlans));

  constructor(private readonly backend: Backend) {}

  /** Reads the list on first use. */
  ensureLoaded() {
    if (!this.loaded && !this.loading) void this.refresh();
  }

  async refresh() {
    this.loading = true;
    try {
      this.list = await this.backend.invoke('machines.list', {});
      this.error = null;
      this.loaded = true;
    } catch (error) {
      this.error = errorInfoOf(error);
    } finally {
      this.loading = false;
    }
  }

  /** Checks the URL and saves the machine; the form is emptied once it is saved. */
  async add() {
    const url = this.url.trim();
    const name = this.name.trim();
    if (this.adding) return;
    if (url === '') {
      this.addError = { code: 'BAD_REQUEST', message: 'Paste the URL `inferscope serve` printed on the other machine.' };
      return;
    }
    this.adding = true;
    this.addError = null;
    this.added = null;
    try {
      const machine = await this.backend.invoke('machines.add', { url, ...(name !== '' ? { name } : {}) });
      this.url = '';
      this.name = '';
      this.added = machine.name;
      this.list = [...this.list.filter((m) => m.id !== machine.id), machine];
      await this.refresh();
    } catch (error) {
      this.addError = errorInfoOf(error);
    } finally {
      this.adding = false;
    }
  }

  /** Asks the machine again; its card shows what the check found (a failure is the status's, not thrown). */
  async check(id: string): Promise<MachineStatus | null> {
    if (this.checking.includes(id)) return null;
    this.checking = [...this.checking, id];
    try {
      const status = await this.backend.invoke('machines.check', { id });
      if (id !== LOCAL_MACHINE_ID) this.list = this.list.map((m) => (m.id === id ? { ...m, status } : m));
      return status;
    } catch (error) {
      this.error = errorInfoOf(error);
      return null;
    } finally {
      this.checking = this.checking.filter((other) => other !== id);
    }
  }

  askRemove(id: string | null) {
    this.confirmingRemove = id;
    this.removeError = null;
  }

  async remove(id: string) {
    try {
      this.list = await this.backend.invoke('machines.remove', { id });
      this.confirmingRemove = null;
      this.removeError = null;
    } catch (error) {
      this.removeError = errorInfoOf(error);
    }
  }

  dismissAdded() {
    this.added = null;
    this.addError = null;
  }
}

const controllers = new WeakMap<Backend, MachinesController>();

/** The page's one MachinesController: the Machines view and the plan forms' pickers share it. */
export function machinesController(backend: Backend): MachinesController {
  const existing = controllers.get(backend);
  if (existing) return existing;
  let controller!: MachinesController;
  // Its own effect root: deriveds made while a view initialises would go stale with that view.
  $effect.root(() => {
    controller = new MachinesController(backend);
  });
  controllers.set(backend, controller);
  return controller;
}
