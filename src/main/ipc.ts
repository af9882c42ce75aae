/**
 * The desktop app's half of the contract: one ipcMain handler per command, each refusing any
 * sender but our own page's top frame before the request is even parsed. Written against the
 * few members of Electron's objects it uses, so tests drive it with the real handlers and fake
 * senders; index.ts passes the real ipcMain, which tsc checks fits.
 */
import { dispatch } from '../shared/contract/dispatch';
import { COMMAND_NAMES, type Handlers, type Result } from '../shared/contract';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_PREFIX } from '../shared/contract/names';

/** What ipc.ts reads of Electron's WebFrameMain. */
export interface IpcFrame {
  readonly url: string;
  readonly parent: IpcFrame | null;
}

/** What ipc.ts uses of Electron's IpcMainInvokeEvent. */
export interface IpcInvokeEvent {
  /** Null once the frame navigated away or was destroyed. */
  readonly senderFrame: IpcFrame | null;
  readonly sender: { isDestroyed(): boolean; send(channel: string, message: unknown): void };
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, request: unknown) => Promise<Result<unknown>>): void;
}

export type SenderCheck = (event: IpcInvokeEvent) => boolean;

/**
 * Trusts a sender only when it is a top frame (never an iframe, even one showing our page) whose
 * URL is our own page. A frame that is gone, or whose URL cannot be read, is not trusted.
 */
export function trustedSender(isOwnUrl: (url: string) => boolean): SenderCheck {
  return (event) => {
    try {
      const frame = event.senderFrame;
      return frame !== null && frame.parent === null && isOwnUrl(frame.url);
    } catch {
      // Electron throws from a frame disposed between the message and this check.
      return false;
    }
  };
}

export interface RegisterIpcOptions {
  ipc: IpcMainLike;
  handlers: Handlers;
  isTrustedSender: SenderCheck;
}

export function registerIpc({ ipc, handlers, isTrustedSender }: RegisterIpcOptions): void {
  for (const command of COMMAND_NAMES) {
    ipc.handle(IPC_INVOKE_PREFIX + command, async (event, request) => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: { code: 'UNAUTHORIZED', message: 'Request from a page or frame that is not the app' } };
      }
      return dispatch(handlers, command, request, {
        emit: (name, payload) => {
          if (!event.sender.isDestroyed()) event.sender.send(IPC_EVENT_CHANNEL, { event: name, payload });
        },
      });
    });
  }
}
