import type { CommandName, CommandRequest, CommandResponse, EventName, EventPayload } from '../../../shared/contract';
import type { ModelSource } from '../../../shared/domain/app';
import type { ErrorCode, ErrorInfo } from '../../../shared/errors';

/** How the page reaches the services: Electron IPC through the preload, or the browser host's WebSocket. */
export type BackendKind = 'electron' | 'web';

/** Only the web backend can lose its link; Electron IPC is always 'connected'. */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/**
 * Everything the UI may ask of the machine that runs the services. Views and controllers
 * only see this interface, so the same UI runs in Electron and in any browser.
 */
export interface Backend {
  readonly kind: BackendKind;
  /** Resolves with the command's value; rejects with a {@link BackendError} carrying the contract's error code. */
  invoke<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>>;
  /** Subscribes to a contract event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** Lets the person choose a model file; null when they cancel. */
  pickModel(): Promise<ModelSource | null>;
  /** Makes a dropped or chosen file available to the services (by path in Electron, by upload in the browser). */
  uploadModel(file: File): Promise<ModelSource>;
  /** Reports the link to the services now and whenever it changes; returns the unsubscribe function. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

/** A failed command as the UI sees it: the contract's code plus the human message. */
export class BackendError extends Error implements ErrorInfo {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'BackendError';
    this.code = info.code;
    this.detail = info.detail;
  }

  toInfo(): ErrorInfo {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }
}

export function unknownCommand(command: unknown): BackendError {
  return new BackendError({ code: 'UNKNOWN_COMMAND', message: `Unknown command: ${String(command)}` });
}

export function unknownEvent(event: unknown): BackendError {
  return new BackendError({ code: 'UNKNOWN_COMMAND', message: `Unknown event: ${String(event)}` });
}
