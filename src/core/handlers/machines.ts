/**
 * Machines: list, add, remove, check — and the commands that run on one (bench.start, quantize.run
 * and what a picker needs beside them), sent to another machine when the request names one and to
 * this machine's own handlers otherwise. Cancel and the active list cover runs and jobs anywhere.
 */
import type { CoreHandlers } from '../../shared/contract';
import { remoteMachine, type Machines } from '../machines';
import type { AreaHandlers } from './context';

type MachineCommands = 'machines.list' | 'machines.add' | 'machines.remove' | 'machines.check';
type RoutedCommands =
  'bench.start' | 'bench.cancel' | 'bench.active' | 'quantize.run' | 'quantize.cancel' | 'quantize.modes' | 'variants.list';

export function machinesHandlers(machines: Machines): AreaHandlers<MachineCommands> {
  return {
    'machines.list': async () => machines.list(),
    'machines.add': async (request) => machines.add(request),
    'machines.remove': async (request) => machines.remove(request.id),
    'machines.check': async (request) => machines.check(request.id),
  };
}

/** `local`'s handlers for this machine, wrapped so a request naming another machine runs there. */
export function machineRouting(local: Pick<CoreHandlers, RoutedCommands>, machines: Machines): AreaHandlers<RoutedCommands> {
  return {
    'bench.start': async (request, context) => {
      const remote = remoteMachine(request.machine);
      return remote === null ? local['bench.start'](request, context) : machines.startBench(remote, request.plan, context);
    },
    'bench.cancel': async (request, context) => {
      const remote = await machines.runs.cancel(request.runId);
      return remote === null ? local['bench.cancel'](request, context) : { cancelled: remote };
    },
    'bench.active': async (request, context) => [...(await local['bench.active'](request, context)), ...machines.runs.activeIds()],
    'quantize.run': async (request, context) => {
      const remote = remoteMachine(request.machine);
      return remote === null ? local['quantize.run'](request, context) : machines.quantize(remote, request.request, context);
    },
    'quantize.cancel': async (request, context) => {
      const remote = await machines.jobs.cancel(request.jobId);
      return remote === null ? local['quantize.cancel'](request, context) : { cancelled: remote };
    },
    'quantize.modes': async (request, context) => {
      const remote = remoteMachine(request.machine);
      return remote === null
        ? local['quantize.modes'](request, context)
        : machines.jobs.modes(await machines.target(remote), request.source);
    },
    'variants.list': async (request, context) => {
      const remote = remoteMachine(request.machine);
      return remote === null
        ? local['variants.list'](request, context)
        : machines.jobs.variants(await machines.target(remote), request.source);
    },
  };
}
