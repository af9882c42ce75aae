/**
 * Chart work (creating a chart, drawing new data) waits here and runs one piece per task, oldest
 * first. Each piece is a few to a few tens of milliseconds; run together in the task that changed
 * the data (a finished configuration showing three new charts, a progress frame redrawing two live
 * ones) they added up to one task of a hundred milliseconds or more, long enough to stall clicks
 * and scrolling while a run streams. Between the pieces the page can handle input and paint.
 *
 * Each owner (a chart) has at most one piece waiting: newer work replaces it in its place in the
 * line, so a chart that falls behind draws only the newest data.
 */
const waiting = new Map<object, () => void>();
let scheduled = false;

// A message to ourselves is the quickest way to a new task: nested setTimeout(0) waits 4 ms or more.
const channel = typeof MessageChannel === 'undefined' ? null : new MessageChannel();
if (channel) {
  channel.port1.onmessage = runNext;
  // Node (the unit tests) would otherwise stay alive for a port that listens; browsers have no unref.
  (channel.port1 as { unref?: () => void }).unref?.();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  if (channel) channel.port2.postMessage(null);
  else setTimeout(runNext, 0);
}

function runNext(): void {
  scheduled = false;
  const next = waiting.entries().next();
  if (next.done) return;
  const [owner, work] = next.value;
  waiting.delete(owner);
  // Scheduled first, so that a piece that throws (reported as any uncaught error) does not stop the line.
  if (waiting.size > 0) schedule();
  work();
}

/** Runs `work` in a task of its own, after the work already waiting; replaces `owner`'s waiting work, if any. */
export function queueChartWork(owner: object, work: () => void): void {
  waiting.set(owner, work);
  schedule();
}

/** Forgets `owner`'s waiting work (its canvas is gone). */
export function dropChartWork(owner: object): void {
  waiting.delete(owner);
}

/** How many pieces of chart work are waiting (for tests). */
export function chartWorkWaiting(): number {
  return waiting.size;
}
