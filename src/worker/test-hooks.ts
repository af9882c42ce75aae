/**
 * Ways to make the worker fail like a broken execution provider, so the supervisor's
 * crash, timeout and cancel paths are tested against a real process. Honoured only
 * when the worker was started with INFERSCOPE_TEST_HOOKS=1.
 */
import { InferscopeError } from '../shared/errors';
import type { RequestOf } from '../core/worker-host/protocol';
import { cancellableDelay } from './cancel';

export const TEST_HOOKS_ENABLED = process.env.INFERSCOPE_TEST_HOOKS === '1';

/** Exit code of the 'exit' crash, chosen to be recognisable in assertions and logs. */
export const TEST_CRASH_EXIT_CODE = 71;

export async function crashForTest(request: RequestOf<'crash-for-test'>, signal: AbortSignal): Promise<never> {
  if (!TEST_HOOKS_ENABLED) {
    throw new InferscopeError('NOT_SUPPORTED', 'Test hooks are off (start the worker with INFERSCOPE_TEST_HOOKS=1).');
  }
  switch (request.how) {
    case 'exit':
      process.stderr.write(`inferscope worker: exiting with code ${TEST_CRASH_EXIT_CODE} on request\n`);
      process.exit(TEST_CRASH_EXIT_CODE);
    // falls through (process.exit never returns)
    case 'abort':
      process.stderr.write('inferscope worker: aborting on request\n');
      process.abort();
    // falls through
    case 'hang':
      // Deliberately blocks the event loop like a native call that never returns: cancel messages cannot be read.
      for (;;) {
        /* spin */
      }
    case 'wait-for-cancel':
      await cancellableDelay(Infinity, signal);
      throw new InferscopeError('INTERNAL', 'wait-for-cancel ended without a cancel');
  }
}

/**
 * A benchmark configuration can ask to crash the worker mid-measurement, so a crash in the
 * middle of a plan is tested for real: epOptions {"inferscope.testCrash": "exit"|"abort"}.
 * Ignored (and never passed to onnxruntime) unless test hooks are on.
 */
export const TEST_CRASH_OPTION = 'inferscope.testCrash';

export function crashIfAsked(epOptions: Record<string, unknown>): void {
  const how = epOptions[TEST_CRASH_OPTION];
  if (!TEST_HOOKS_ENABLED || (how !== 'exit' && how !== 'abort')) return;
  process.stderr.write(`inferscope worker: ${how} during a benchmark on request\n`);
  if (how === 'exit') process.exit(TEST_CRASH_EXIT_CODE);
  process.abort();
}

/**
 * An inference that never ends, tested for real: epOptions {"inferscope.testHangAfterRuns": N}
 * makes the next session created (on the worker's main thread: concurrency 1) block its thread
 * inside its run after the first N runs, as a native call that never returns would.
 * Ignored (and never passed to onnxruntime) unless test hooks are on.
 */
export const TEST_HANG_OPTION = 'inferscope.testHangAfterRuns';

/**
 * A model made slow on purpose: epOptions {"inferscope.testSlowRunMs": N} makes every run of the next session
 * created on the main thread block its thread N ms longer, as a heavy native kernel would. Test hooks only.
 */
export const TEST_SLOW_OPTION = 'inferscope.testSlowRunMs';

/**
 * A model made slower by a share of itself: epOptions {"inferscope.testSlowdown": 0.05} makes every run of the next
 * session created on the main thread take 5 % longer (a busy wait after the run, inside the timed call), so a
 * comparison can be checked against a difference of known size. Test hooks only.
 */
export const TEST_SLOWDOWN_OPTION = 'inferscope.testSlowdown';

let hangAfterRuns: number | undefined;
let slowRunMs: number | undefined;
let slowdownShare: number | undefined;

export function armHangIfAsked(epOptions: Record<string, unknown>): void {
  const runs = epOptions[TEST_HANG_OPTION];
  hangAfterRuns = TEST_HOOKS_ENABLED && typeof runs === 'number' && runs >= 0 ? runs : undefined;
  const slow = epOptions[TEST_SLOW_OPTION];
  slowRunMs = TEST_HOOKS_ENABLED && typeof slow === 'number' && slow > 0 ? slow : undefined;
  const share = epOptions[TEST_SLOWDOWN_OPTION];
  slowdownShare = TEST_HOOKS_ENABLED && typeof share === 'number' && share > 0 ? share : undefined;
}

/** Spins until the call that started at `startNs` has taken (1 + share) times what it took by `endNs`. */
function stretch(startNs: bigint, endNs: bigint, share: number): void {
  const until = endNs + BigInt(Math.round(Number(endNs - startNs) * share));
  while (process.hrtime.bigint() < until) {
    /* busy, as a slower kernel would be */
  }
}

/** The session itself, whose run is slowed or blocks forever after the armed number of runs (once armed, for one session). */
export function hangIfArmed<S extends { run: (...args: never[]) => Promise<unknown> }>(session: S): S {
  const after = hangAfterRuns ?? Infinity;
  const slow = slowRunMs;
  const share = slowdownShare;
  hangAfterRuns = undefined;
  slowRunMs = undefined;
  slowdownShare = undefined;
  if (after === Infinity && slow === undefined && share === undefined) return session;
  const run = session.run.bind(session);
  let runs = 0;
  session.run = ((...args: Parameters<S['run']>) => {
    if (slow !== undefined) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, slow);
    if (runs++ >= after) {
      process.stderr.write(`inferscope worker: blocking inside run ${runs} on request\n`);
      // Sleeps the thread for good, like a native call that never returns: nothing else runs on it.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
    if (share === undefined) return run(...args);
    const started = process.hrtime.bigint();
    return run(...args).then((result) => {
      stretch(started, process.hrtime.bigint(), share);
      return result;
    });
  }) as S['run'];
  return session;
}

const TEST_OPTIONS = [TEST_CRASH_OPTION, TEST_HANG_OPTION, TEST_SLOW_OPTION, TEST_SLOWDOWN_OPTION];

/** epOptions without the test-only keys, as onnxruntime must see them. */
export function withoutTestOptions<T extends Record<string, unknown>>(epOptions: T): T {
  if (!TEST_OPTIONS.some((key) => key in epOptions)) return epOptions;
  return Object.fromEntries(Object.entries(epOptions).filter(([key]) => !TEST_OPTIONS.includes(key))) as T;
}
