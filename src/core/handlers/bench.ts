/** Benchmarks: start a plan (it measures in the background), cancel it, and which are measuring. */
import type { AreaHandlers, CoreContext } from './context';

type BenchCommands = 'bench.start' | 'bench.cancel' | 'bench.active';

export function benchHandlers({ runner }: CoreContext): AreaHandlers<BenchCommands> {
  return {
    'bench.start': async (request, context) => runner.start(request.plan, context),
    'bench.cancel': async (request) => ({ cancelled: runner.cancel(request.runId) }),
    'bench.active': async () => runner.activeRunIds(),
  };
}
