/**
 * The version of the contract (commands, events, their schemas and the wire envelope) a host
 * speaks. This app measures on another machine's `inferscope serve` only when both report the same
 * number in `app.info` (docs/machines.md#versions).
 *
 * Raise it when a change would make an older app or host misread the other: a command renamed or
 * removed, a request or response field that changed meaning or became required, a run document an
 * older app cannot parse. Adding an optional field or a new command keeps it.
 */
export const CONTRACT_VERSION = 1;
