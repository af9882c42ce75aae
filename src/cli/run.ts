import { dispatch } from '../shared/contract/dispatch';
import type { CommandName, CommandRequest, CommandResponse, EventName, EventPayload, Handlers } from '../shared/contract';
import { InferscopeError } from '../shared/errors';

/** Calls a contract command the same way the UI does (validation included) and unwraps the result. */
export async function call<C extends CommandName>(
  handlers: Handlers,
  command: C,
  request: CommandRequest<C>,
  onEvent?: <E extends EventName>(event: E, payload: EventPayload<E>) => void,
): Promise<CommandResponse<C>> {
  const result = await dispatch(handlers, command, request, { emit: (event, payload) => onEvent?.(event, payload) });
  if (!result.ok) throw new InferscopeError(result.error.code, result.error.message, result.error.detail !== undefined ? { detail: result.error.detail } : undefined);
  return result.value as CommandResponse<C>;
}
