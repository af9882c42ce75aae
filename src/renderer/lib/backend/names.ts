import type { CommandName, EventName } from '../../../shared/contract';
import { COMMAND_NAME_LIST, EVENT_NAME_LIST } from '../../../shared/contract/names';

// The contract's own guards live beside its zod schemas; importing them would put all of zod
// in the page. These read the same names from the plain list the contract checks itself against.
const commandNames: ReadonlySet<string> = new Set(COMMAND_NAME_LIST);
const eventNames: ReadonlySet<string> = new Set(EVENT_NAME_LIST);

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && commandNames.has(name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && eventNames.has(name);
}
