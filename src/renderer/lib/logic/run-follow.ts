import type { ConfigResult, RunDocument, RunStatus } from '../../../shared/domain/run';
import { finishedCount, withConfig } from './run-results';

/** Without any event for this long, a followed run is read from the run store instead. */
export const SILENCE_BEFORE_POLL_MS = 2000;
export const POLL_INTERVAL_MS = 2000;

/**
 * What the events of a starting run said before 'bench.start' answered with its document:
 * the host begins the run (and sends its first events) before the answer reaches the page.
 */
export interface EarlyEvents {
  /** The run the events named; null when none has come. */
  runId: string | null;
  /** Configurations that finished, oldest first. */
  configs: ConfigResult[];
  /** Set when the run ended before the answer came. */
  status: RunStatus | null;
}

export function noEarlyEvents(runId: string | null = null): EarlyEvents {
  return { runId, configs: [], status: null };
}

/**
 * Where an event of `eventRunId` belongs: nowhere (another page's run, or one this page no
 * longer follows), into the document shown, or among the early events until the document comes.
 * The document shown may still be the previous run's while a new one starts.
 */
export function eventTarget(
  eventRunId: string,
  followedId: string | null,
  shown: Pick<RunDocument, 'id'> | null,
): 'ignore' | 'document' | 'early' {
  if (followedId === null || eventRunId !== followedId) return 'ignore';
  return shown?.id === followedId ? 'document' : 'early';
}

/**
 * The answer's document with what its early events already said. Events that named another run
 * (started on another page in the same instant) are dropped: the answer is the word on which run is ours.
 */
export function withEarlyEvents(doc: RunDocument, early: EarlyEvents): RunDocument {
  if (early.runId !== doc.id) return doc;
  let adopted = doc;
  for (const config of early.configs) adopted = withConfig(adopted, config);
  return early.status ? { ...adopted, status: early.status } : adopted;
}

/** Share of the run's configurations that have ended, 0–1: how far it is when no live progress arrives. */
export function finishedFraction(doc: Pick<RunDocument, 'configs'>): number {
  return doc.configs.length > 0 ? finishedCount(doc) / doc.configs.length : 0;
}

/** No event for long enough that the page has likely lost them (a reload, another window): read the store. */
export function isSilent(lastEventAt: number, now: number, silenceMs: number = SILENCE_BEFORE_POLL_MS): boolean {
  return now - lastEventAt >= silenceMs;
}
