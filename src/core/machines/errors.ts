/**
 * Every failure from or about another machine is that machine's: its name leads the message
 * ("gpu-box: …"), so nothing it says is mistaken for this app's own state.
 *
 * What the machine answered with a code of its own keeps that code (CANCELLED, DIMS_REQUIRED,
 * PAYLOAD_TOO_LARGE, …: the app reacts to them as it would here); what says something about the
 * link or the machine itself becomes a MACHINE_* code: it could not be reached or was lost, it
 * refused the token, it speaks another contract, it failed without saying why.
 */
import { InferscopeError, isErrorCode, type ErrorCode, type ErrorInfo } from '../../shared/errors';

/** What a machine's failure needs to name it. */
export interface Named {
  name: string;
  url: string;
}

function prefixed(machine: Named, message: string): string {
  return message.startsWith(`${machine.name}: `) ? message : `${machine.name}: ${message}`;
}

export function machineError(machine: Named, code: ErrorCode, message: string, detail?: string): InferscopeError {
  return new InferscopeError(code, prefixed(machine, message), detail !== undefined ? { detail } : undefined);
}

/** Codes of the machine's own that mean something else on this side. */
const TRANSLATED: Partial<Record<ErrorCode, ErrorCode>> = {
  // The machine's own page token, not this app's.
  UNAUTHORIZED: 'MACHINE_UNAUTHORIZED',
  // A command it does not know: another contract.
  UNKNOWN_COMMAND: 'MACHINE_INCOMPATIBLE',
  INTERNAL: 'MACHINE_FAILED',
};

/** An error the machine answered with, as this side reports it. */
export function fromRemote(machine: Named, error: { code?: unknown; message?: unknown; detail?: unknown }): InferscopeError {
  const message = typeof error.message === 'string' && error.message !== '' ? error.message : 'it failed without a message';
  const detail = typeof error.detail === 'string' ? error.detail : undefined;
  if (!isErrorCode(error.code)) {
    // A code from a newer Inferscope: said, not guessed at.
    return machineError(machine, 'MACHINE_FAILED', message, `${String(error.code)}${detail ? `: ${detail}` : ''}`);
  }
  return machineError(machine, TRANSLATED[error.code] ?? error.code, message, detail);
}

/** Anything thrown while talking to a machine, attributed to it (already attributed errors pass through). */
export function attributed(machine: Named, error: unknown): InferscopeError {
  if (error instanceof InferscopeError) {
    if (error.message.startsWith(`${machine.name}: `)) return error;
    return machineError(machine, error.code, error.message, error.detail);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return machineError(machine, 'MACHINE_FAILED', reason);
}

/** Why a connection attempt failed, in words that say what to check. */
export function unreachable(machine: Named, cause: unknown): InferscopeError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ECONNREFUSED'
      ? 'nothing answers there (connection refused)'
      : code === 'ECONNRESET' || code === 'EPIPE'
        ? 'the connection was cut'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'its host name does not resolve'
          : code === 'ETIMEDOUT' || (cause instanceof Error && /timed? ?out/i.test(cause.message))
            ? 'it did not answer in time'
            : cause instanceof Error
              ? cause.message
              : String(cause);
  return machineError(
    machine,
    'MACHINE_UNREACHABLE',
    `cannot reach ${machine.url}: ${reason}. Is \`inferscope serve\` running there, and the SSH tunnel open?`,
  );
}

export function lost(machine: Named, what: string): InferscopeError {
  return machineError(
    machine,
    'MACHINE_UNREACHABLE',
    `the connection to ${machine.url} was lost${what ? ` ${what}` : ''} (the host stopped, or the SSH tunnel closed).`,
  );
}

/** The errors a machine's failure turns into on this side, as ErrorInfo. */
export function attributedInfo(machine: Named, error: unknown): ErrorInfo {
  return attributed(machine, error).toInfo();
}
