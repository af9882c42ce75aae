/**
 * One connection to another machine's `inferscope serve`, speaking the browser host's own protocol:
 * the contract over its WebSocket (shared/contract/wire.ts) with the access token as the page's
 * cookie, and its HTTP routes for models (upload.ts). Answers are checked against this app's
 * contract; a link that goes quiet (a frozen tunnel) is found by pings and ended.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import WebSocket from 'ws';
import { commands, events, isEventName, type CommandName, type CommandResponse, type EventName } from '../../shared/contract';
import type { ServerMessage } from '../../shared/contract/wire';
import type { InferscopeError } from '../../shared/errors';
import { fromRemote, lost, machineError, unreachable, type Named } from './errors';

/** The page's cookie name on the browser host (src/server/auth.ts). */
const TOKEN_COOKIE = 'inferscope_token';
export const CONNECT_TIMEOUT_MS = 10_000;
/** A ping this often; no pong by the next one ends the connection (a tunnel that stopped forwarding). */
export const HEARTBEAT_MS = 15_000;
/** The largest answer taken from a machine (a run document with every sample). */
const MAX_ANSWER_BYTES = 1024 ** 3;

export interface RemoteEndpoint extends Named {
  id: string;
  /** http(s)://host:port — the address `inferscope serve` printed, without its token. */
  url: string;
  token: string;
}

export type RemoteEventListener = <E extends EventName>(event: E, payload: unknown) => void;

interface PendingCall {
  command: CommandName;
  resolve: (value: unknown) => void;
  reject: (error: InferscopeError) => void;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export class RemoteConnection {
  private socket: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private lastId = 0;
  private readonly pending = new Map<number, PendingCall>();
  private readonly eventListeners = new Set<RemoteEventListener>();
  private readonly lostListeners = new Set<(error: InferscopeError) => void>();
  private closed = false;

  constructor(
    readonly endpoint: RemoteEndpoint,
    private readonly options: { connectTimeoutMs?: number; heartbeatMs?: number } = {},
  ) {}

  /** Runs a command there; the answer is checked against this app's contract. */
  async invoke<C extends CommandName>(command: C, request: unknown, options: { timeoutMs?: number } = {}): Promise<CommandResponse<C>> {
    const value = await this.invokeRaw(command, request, options);
    const checked = commands[command].response.safeParse(value);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw machineError(
        this.endpoint,
        'MACHINE_INCOMPATIBLE',
        `it answered ${command} with data this app cannot read (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}).`,
      );
    }
    return checked.data as CommandResponse<C>;
  }

  /** Runs a command there and answers what came back, unchecked (app.info: read before knowing the contract matches). */
  async invokeRaw(command: CommandName, request: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const socket = await this.open();
    const id = ++this.lastId;
    let timer: NodeJS.Timeout | undefined;
    const ms = options.timeoutMs;
    const answer = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { command, resolve, reject });
      if (ms === undefined) return;
      timer = setTimeout(() => {
        this.pending.delete(id);
        reject(machineError(this.endpoint, 'MACHINE_UNREACHABLE', `it did not answer ${command} within ${Math.round(ms / 1000)} s.`));
      }, ms);
    });
    socket.send(JSON.stringify({ type: 'invoke', id, command, request }));
    return answer.finally(() => clearTimeout(timer));
  }

  /** Contract events the machine sends (runs and jobs of every page there: callers pick theirs by id). */
  onEvent(listener: RemoteEventListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Called once per lost connection, with the error that says so. */
  onLost(listener: (error: InferscopeError) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.closed = true;
    this.socket?.terminate();
    this.socket = null;
  }

  /** An HTTP request to the machine with the token's cookie; a body is streamed. */
  request(method: string, path: string, body?: { stream: Readable; bytes: number }): Promise<HttpAnswer> {
    const url = new URL(path, this.endpoint.url);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { cookie: `${TOKEN_COOKIE}=${encodeURIComponent(this.endpoint.token)}` };
      if (body) Object.assign(headers, { 'content-type': 'application/octet-stream', 'content-length': body.bytes });
      const req = transport.request(url, { method, headers, timeout: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', (error) => reject(unreachable(this.endpoint, error)));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (error) => reject(unreachable(this.endpoint, error)));
      if (!body) {
        req.end();
        return;
      }
      // The machine may answer (413) and close before the whole body is sent: its answer is what counts.
      body.stream.on('error', (error) => req.destroy(error));
      body.stream.pipe(req);
    });
  }

  private open(): Promise<WebSocket> {
    if (this.closed) return Promise.reject(lost(this.endpoint, 'when this app closed it'));
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    this.opening ??= this.connect().finally(() => (this.opening = null));
    return this.opening;
  }

  private connect(): Promise<WebSocket> {
    const wsUrl = new URL('/ws', this.endpoint.url);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, {
        headers: { cookie: `${TOKEN_COOKIE}=${encodeURIComponent(this.endpoint.token)}` },
        handshakeTimeout: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
        maxPayload: MAX_ANSWER_BYTES,
      });
      let settled = false;
      socket.once('unexpected-response', (_req, res) => {
        settled = true;
        res.resume();
        socket.terminate();
        if (res.statusCode === 401 || res.statusCode === 403) void this.refusal().then(reject);
        else reject(unreachable(this.endpoint, new Error(`it answered HTTP ${res.statusCode ?? '?'} instead of opening the connection`)));
      });
      socket.once('error', (error) => {
        if (settled) return;
        settled = true;
        reject(unreachable(this.endpoint, error));
      });
      socket.once('open', () => {
        settled = true;
        this.socket = socket;
        this.watch(socket);
        resolve(socket);
      });
    });
  }

  /** Tells a refused token from a refused address: the HTTP side says which (403 for the Host check, 401 for the token). */
  private async refusal(): Promise<InferscopeError> {
    const probe = await this.request('GET', `/api/models/${'0'.repeat(64)}`).catch(() => null);
    if (probe?.status === 403) {
      const host = new URL(this.endpoint.url).host;
      return machineError(
        this.endpoint,
        'MACHINE_UNAUTHORIZED',
        `it refuses requests addressed to ${host}: forward the same port number on both ends of the SSH tunnel ` +
          `(ssh -L PORT:127.0.0.1:PORT), where PORT is the one \`inferscope serve\` listens on.`,
      );
    }
    return machineError(
      this.endpoint,
      'MACHINE_UNAUTHORIZED',
      'it refused the access token. Add the machine again with the URL `inferscope serve` prints there now ' +
        '(a restarted serve makes a new token unless it was started with a fixed access token).',
    );
  }

  private watch(socket: WebSocket): void {
    let answered = true;
    const heartbeat = setInterval(() => {
      if (!answered) {
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
    }, this.options.heartbeatMs ?? HEARTBEAT_MS);
    heartbeat.unref();
    socket.on('pong', () => (answered = true));
    socket.on('message', (data) => {
      answered = true;
      this.receive(String(data));
    });
    socket.on('error', () => socket.terminate());
    socket.once('close', () => {
      clearInterval(heartbeat);
      if (this.socket === socket) this.socket = null;
      const error = lost(this.endpoint, this.pending.size > 0 ? 'before it answered' : '');
      const calls = [...this.pending.values()];
      this.pending.clear();
      for (const call of calls) call.reject(lost(this.endpoint, `while it ran ${call.command}`));
      // Told even when this app closed it: nothing that follows the machine is left waiting.
      for (const listener of [...this.lostListeners]) listener(this.closed ? lost(this.endpoint, 'when this app closed it') : error);
    });
  }

  private receive(text: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    if (message.type === 'result') {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.result.ok) call.resolve(message.result.value);
      else call.reject(fromRemote(this.endpoint, message.result.error));
      return;
    }
    if (message.type !== 'event' || !isEventName(message.event)) return;
    const parsed = events[message.event].safeParse(message.payload);
    if (!parsed.success) return;
    for (const listener of [...this.eventListeners]) listener(message.event, parsed.data);
  }
}
