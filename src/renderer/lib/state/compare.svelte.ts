import { untrack } from 'svelte';
import type { Comparison } from '../../../shared/domain/advice';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import {
  configChoices,
  existingItems,
  makeBaseline,
  readiness,
  toggleItem,
  type CompareItemRef,
  type CompareReadiness,
  type ConfigChoice,
} from '../logic/compare-items';
import { errorInfoOf } from './app.svelte';
import type { Controllers } from './context';
import type { RunsController } from './runs.svelte';

/** Ticking pauses this long before the comparison is asked for again (each is a bootstrap on the host). */
const COMPARE_DELAY_MS = 300;

/** A run's configurations as the picker lists them, read when the run is opened. */
export type RunConfigs = { state: 'loading' } | { state: 'loaded'; configs: ConfigChoice[] } | { state: 'failed'; error: ErrorInfo };

/**
 * The Compare view's state: the ticked runs or configurations (the first is the baseline), the
 * configurations of the runs opened in the picker, and the comparison of the ticked ones.
 */
export class CompareController {
  picked = $state.raw<CompareItemRef[]>([]);
  /** Picks whose run still exists, in ticking order. */
  items: CompareItemRef[] = $derived.by(() =>
    existingItems(
      this.picked,
      this.runs.list.map((run) => run.id),
    ),
  );
  ready: CompareReadiness = $derived(readiness(this.items));
  requestKey: string | null = $derived(this.ready.ok ? JSON.stringify(this.items) : null);

  /** Runs opened in the picker, by id. */
  open = $state.raw<Record<string, RunConfigs>>({});

  comparisons = $state.raw<Comparison[] | null>(null);
  comparedKey = $state<string | null>(null);
  computing = $state(false);
  error = $state.raw<ErrorInfo | null>(null);
  stale: boolean = $derived(this.comparisons !== null && this.comparedKey !== this.requestKey);

  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly runs: RunsController,
  ) {}

  start() {
    void this.runs.refresh();
  }

  stop() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  toggle(item: CompareItemRef, checked: boolean) {
    this.picked = toggleItem(this.items, item, checked);
  }

  makeBaseline(item: CompareItemRef) {
    this.picked = makeBaseline(this.items, item);
  }

  clear() {
    this.picked = [];
  }

  /** Shows or hides a run's configurations; reads them the first time. */
  async toggleRun(runId: string) {
    if (this.open[runId]) {
      const rest = { ...this.open };
      delete rest[runId];
      this.open = rest;
      return;
    }
    this.open = { ...this.open, [runId]: { state: 'loading' } };
    let configs: RunConfigs;
    try {
      const doc = await this.backend.invoke('runs.get', { id: runId });
      // Only what the picker shows is kept: a run holds every sample of every configuration.
      configs = { state: 'loaded', configs: configChoices(doc.configs) };
    } catch (error) {
      configs = { state: 'failed', error: errorInfoOf(error) };
    }
    // Closed again while it loaded: stay closed.
    if (this.open[runId]) this.open = { ...this.open, [runId]: configs };
  }

  schedule(key: string | null) {
    this.stop();
    if (key === null || key === this.comparedKey) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.compute(key);
    }, COMPARE_DELAY_MS);
  }

  private async compute(key: string) {
    const items = JSON.parse(key) as CompareItemRef[];
    const seq = ++this.seq;
    this.computing = true;
    try {
      const comparisons = await this.backend.invoke('advise.compare', { items });
      if (seq !== this.seq) return;
      this.comparisons = comparisons;
      this.comparedKey = key;
      this.error = null;
    } catch (error) {
      if (seq === this.seq) this.error = errorInfoOf(error);
    } finally {
      if (seq === this.seq) this.computing = false;
    }
  }
}

const controllers = new WeakMap<Backend, CompareController>();

/** The page's one CompareController: the ticks survive a visit to another view. */
export function compareController(shared: Pick<Controllers, 'backend' | 'runs'>): CompareController {
  const existing = controllers.get(shared.backend);
  if (existing) return existing;
  let controller!: CompareController;
  // Its own effect root: deriveds made while a view initialises would go stale with that view.
  $effect.root(() => {
    controller = new CompareController(shared.backend, shared.runs);
  });
  controllers.set(shared.backend, controller);
  return controller;
}

/** Follows the ticks: every change asks for the comparison again after a pause. */
export function followComparison(compare: CompareController): void {
  $effect(() => {
    const key = compare.requestKey;
    untrack(() => compare.schedule(key));
  });
  $effect(() => () => compare.stop());
}
