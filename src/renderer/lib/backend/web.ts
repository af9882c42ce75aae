import type { EventName, Result } from '../../../shared/contract';
import { DEFAULT_MAX_MESSAGE_BYTES, WIRE_CLOSE, type ClientMessage, type ServerMessage } from '../../../shared/contract/wire';
import { isCommandName, isEventName } from './names';
import { isErrorCode, type ErrorInfo } from '../../../shared/errors';
import { BackendError, unknownCommand, unknownEvent, type Backend, type ConnectionState } from './types';

/** Waits between reconnect attempts; the last value repeats while the host stays away. */
export const RECONNECT_BACKOFF_MS = [250, 500, 1000, 2000, 4000] as const;

export const LOST_CONNECTION: ErrorInfo = { code: 'IO_ERROR', message: 'Lost connection to the Inferscope host' };

function tooLarge(limitBytes: number): ErrorInfo {
  const mib = Math.round(limitBytes / 1024 / 1024);
  return { code: 'PAYLOAD_TOO_LARGE', message: `This request is larger than the ${mib} MiB the Inferscope host accepts in one message.` };
}

/** UTF-8 size of a message, counted only when it could be near the limit. */
function messageBytes(message: string, limitBytes: number): number {
  return message.length * 3 < limitBytes ? message.length : new TextEncoder().encode(message).length;
}

/** The slice of the WebSocket API we use, so tests can hand in the `ws` package's client. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'close', listener: (event: { code?: number }) => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export interface WebBackendOptions {
  /** ws:// or wss:// address of the host's contract socket. */
  socketUrl: string;
  /** Where dropped files are POSTed. */
  uploadUrl: string;
  createSocket: (url: string) => SocketLike;
  /** Lets the person choose a file (the page's own file chooser). */
  chooseFile: () => Promise<File | null>;
  fetch?: typeof fetch;
  backoffMs?: readonly number[];
  /** The largest message the host accepts (default: the host's default). */
  maxMessageBytes?: number;
}

export interface WebBackend extends Backend {
  /** Stops reconnecting and rejects whatever is still waiting. */
  close(): void;
}

interface Pending {
  message: string;
  resolve: (value: unknown) => void;
  reject: (error: BackendError) => void;
  sent: boolean;
}

const OPEN = 1;

function parseServerMessage(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  try {
    return JSON.parse(data) as ServerMessage;
  } catch {
    return null;
  }
}

/** Commands sent (or waiting for the socket) and not answered yet. */
class PendingCalls {
  private readonly calls = new Map<number, Pending>();
  private lastId = 0;

  nextId(): number {
    return ++this.lastId;
  }

  add(id: number, call: Pending): void {
    this.calls.set(id, call);
  }

  unsent(): Pending[] {
    return [...this.calls.values()].filter((call) => !call.sent);
  }

  settle(id: number, result: Result<unknown>): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    if (result.ok) call.resolve(result.value);
    else call.reject(new BackendError(result.error));
  }

  rejectAll(error: BackendError): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.reject(error);
  }
}

/** Listeners of contract events, by event. */
class EventListeners {
  private readonly byEvent = new Map<EventName, Set<(payload: unknown) => void>>();

  add(event: EventName, listener: (payload: unknown) => void): () => void {
    let set = this.byEvent.get(event);
    if (!set) this.byEvent.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit(event: EventName, payload: unknown): void {
    for (const listener of this.byEvent.get(event) ?? []) listener(payload);
  }
}

/** POSTs a dropped or chosen model to the host; answers where the host keeps it. */
async function uploadFile(fetchFn: typeof fetch, uploadUrl: string, file: File): Promise<{ path: string }> {
  let response: Response;
  try {
    response = await fetchFn(`${uploadUrl}?name=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: file,
    });
  } catch {
    throw new BackendError(LOST_CONNECTION);
  }
  const body = (await response.json().catch(() => null)) as { path?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (response.ok && typeof body?.path === 'string') return { path: body.path };
  const code = body?.error?.code;
  throw new BackendError({
    code: isErrorCode(code) ? code : response.status === 401 ? 'UNAUTHORIZED' : 'IO_ERROR',
    message: typeof body?.error?.message === 'string' ? body.error.message : `Uploading ${file.name} failed (HTTP ${response.status})`,
  });
}
/**
 * The browser host: one WebSocket
 to the page's own origin carries every command and event.
 * Authentication is the HttpOnly cookie the host set when the page was opened with its token,
 * so nothing here handles secrets.
 */
export function createWebBackend(options: WebBackendOptions): WebBackend {
  const createSocket = options.createSocket;
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const backoff = options.backoffMs ?? RECONNECT_BACKOFF_MS;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;

  const pending = new PendingCalls();
  const events = new EventListeners();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let socket: SocketLike | null = null;
  let state: ConnectionState = 'connecting';
  let failedAttempts = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  function setState(next: ConnectionState) {
    if (next === state) return;
    state = next;
    for (const listener of connectionListeners) listener(state);
  }

  function connect() {
    reconnectTimer = null;
    setState('connecting');
    const current = createSocket(options.socketUrl);
    socket = current;
    current.addEventListener('open', () => {
      if (socket !== current) return;
      failedAttempts = 0;
      setState('connected');
      for (const call of pending.unsent()) {
        call.sent = true;
        current.send(call.message);
      }
    });
    current.addEventListener('message', (event) => {
      if (socket === current) receive(event.data);
    });
    // A failed or aborted socket reports 'error' and then 'close'; the close handler does the work.
    current.addEventListener('error', () => {});
    current.addEventListener('close', (event) => {
      if (socket !== current) return;
      socket = null;
      // Calls queued while reconnecting fail too: a host that stays away must not hang the UI.
      pending.rejectAll(new BackendError(event.code === WIRE_CLOSE.tooLarge.code ? tooLarge(maxMessageBytes) : LOST_CONNECTION));
      setState('disconnected');
      if (closed) return;
      const delay = backoff[Math.min(failedAttempts, backoff.length - 1)] ?? 1000;
      failedAttempts += 1;
      reconnectTimer = setTimeout(connect, delay);
    });
  }

  function receive(data: unknown) {
    const message = parseServerMessage(data);
    if (message?.type === 'result') pending.settle(message.id, message.result);
    else if (message?.type === 'event' && isEventName(message.event)) {
      events.emit(message.event, message.payload);
    }
  }

  const backend: WebBackend = {
    kind: 'web',

    invoke(command, request) {
      if (!isCommandName(command)) return Promise.reject(unknownCommand(command));
      if (closed) return Promise.reject(new BackendError(LOST_CONNECTION));
      const id = pending.nextId();
      const message = JSON.stringify({ type: 'invoke', id, command, request } satisfies ClientMessage);
      // Refused here rather than by the host, which would close the connection for it.
      if (messageBytes(message, maxMessageBytes) > maxMessageBytes) return Promise.reject(new BackendError(tooLarge(maxMessageBytes)));
      return new Promise((resolve, reject) => {
        const call: Pending = { message, resolve: resolve as (value: unknown) => void, reject, sent: false };
        pending.add(id, call);
        if (socket && socket.readyState === OPEN) {
          call.sent = true;
          socket.send(message);
        }
      });
    },

    on(event, listener) {
      if (!isEventName(event)) throw unknownEvent(event);
      return events.add(event, listener as (payload: unknown) => void);
    },

    async pickModel() {
      const file = await options.chooseFile();
      return file ? backend.uploadModel(file) : null;
    },

    async uploadModel(file) {
      const { path } = await uploadFile(fetchFn, options.uploadUrl, file);
      return { kind: 'path', path };
    },

    onConnection(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },

    close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const current = socket;
      socket = null;
      current?.close();
      pending.rejectAll(new BackendError(LOST_CONNECTION));
      setState('disconnected');
    },
  };

  connect();
  return backend;
}
