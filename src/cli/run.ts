import { dispatch } from '../shared/contract/dispatch';
import type { CommandName, CommandRequest, CommandResponse, EventName, EventPayload, Handlers } from '../shared/contract';
import type { RunDocument } from '../shared/domain/run';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InferscopeError } from '../shared/errors';
import { ioError } from '../core/store/atomic';

/** Calls a contract command the same way the UI does (validation included) and unwraps the result. */
export async function call<C extends CommandName>(
  handlers: Handlers,
  command: C,
  request: CommandRequest<C>,
  onEvent?: <E extends EventName>(event: E, payload: EventPayload<E>) => void,
): Promise<CommandResponse<C>> {
  const result = await dispatch(handlers, command, request, { emit: (event, payload) => onEvent?.(event, payload) });
  if (!result.ok)
    throw new InferscopeError(
      result.error.code,
      result.error.message,
      result.error.detail !== undefined ? { detail: result.error.detail } : undefined,
    );
  return result.value as CommandResponse<C>;
}

/**
 * Starts a benchmark through the contract, as the app does, and follows it to its end: answers
 * the run as saved and how it finished. `onStarted` gets the run id (to cancel it).
 */
export async function benchToEnd(
  handlers: Handlers,
  plan: CommandRequest<'bench.start'>['plan'],
  options: {
    onEvent?: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
    onStarted?: (runId: string) => void;
    /** Another machine to measure on (`bench --on`); this one when absent. */
    machine?: string;
  } = {},
): Promise<{ doc: RunDocument; finished: EventPayload<'bench.finished'> }> {
  let runId: string | null = null;
  const ended = new Map<string, EventPayload<'bench.finished'>>();
  let wake: () => void = () => undefined;
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    options.onEvent?.(event, payload);
    if (event !== 'bench.finished') return;
    const finished = payload as EventPayload<'bench.finished'>;
    ended.set(finished.runId, finished);
    if (finished.runId === runId) wake();
  };
  const started = await call(handlers, 'bench.start', { plan, ...(options.machine ? { machine: options.machine } : {}) }, emit);
  runId = started.id;
  options.onStarted?.(runId);
  if (!ended.has(runId)) await new Promise<void>((resolve) => (wake = resolve));
  return { doc: await call(handlers, 'runs.get', { id: runId }), finished: ended.get(runId) as EventPayload<'bench.finished'> };
}

/** Writes a file the user named (--json, -o, --csv); a full disk is DISK_FULL with the path, not a stack trace. */
export async function writeOutput(file: string, data: string | Uint8Array): Promise<void> {
  const target = path.resolve(file);
  await writeFile(target, data).catch((error: unknown) => {
    throw ioError(error, target);
  });
}
