/**
 * The contract over a WebSocket: one message `{type:'invoke', id, command, request}` in, a
 * `result` with the same id out, and contract events. Limits are per client: a message over the
 * size limit or a client with too many commands in flight is refused, and the host keeps serving
 * everyone else.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { dispatch } from '../shared/contract/dispatch';
import { events, type CommandContext, type Handlers } from '../shared/contract';
import { WIRE_CLOSE, type ServerMessage } from '../shared/contract/wire';
import { cookieToken, hostAllowed, originAllowed, tokensEqual } from './auth';

export interface SocketOptions {
  handlers: Handlers;
  token: string;
  allowedHosts: () => ReadonlySet<string>;
  /** The largest message a client may send (bytes). */
  maxMessageBytes: number;
  /** Commands one client may have in flight at once. */
  maxInFlight: number;
}

const ClientMessageSchema = z.object({
  type: z.literal('invoke'),
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  command: z.string().max(100),
  request: z.unknown(),
});

/** A run or a quantization job outlives the page that started it: their events go to every page. */
const BROADCAST_EVENT = /^(bench|quantize)\./;

export interface ContractSocket {
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

export function createContractSocket(options: SocketOptions): ContractSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });

  function broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(text);
  }

  function onConnection(ws: WebSocket): void {
    let inFlight = 0;
    const send = (message: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const context: CommandContext = {
      emit: (event, payload) => {
        if (!Object.hasOwn(events, event)) return;
        if (BROADCAST_EVENT.test(event)) broadcast({ type: 'event', event, payload });
        else send({ type: 'event', event, payload });
      },
    };
    // `ws` reports a message over maxPayload (and other protocol faults) as an error and closes the
    // socket itself (1009 for size); without this listener the error would end the whole process.
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') ws.close(WIRE_CLOSE.tooLarge.code, WIRE_CLOSE.tooLarge.reason);
      else ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      let parsed: z.infer<typeof ClientMessageSchema>;
      try {
        if (isBinary) throw new Error('binary');
        parsed = ClientMessageSchema.parse(JSON.parse(String(data)));
      } catch {
        ws.close(WIRE_CLOSE.malformed.code, WIRE_CLOSE.malformed.reason);
        return;
      }
      if (inFlight >= options.maxInFlight) {
        const message = `More than ${options.maxInFlight} commands in flight on this connection: wait for answers first.`;
        send({ type: 'result', id: parsed.id, result: { ok: false, error: { code: 'BAD_REQUEST', message } } });
        return;
      }
      inFlight += 1;
      void dispatch(options.handlers, parsed.command, parsed.request, context)
        .then((result) => send({ type: 'result', id: parsed.id, result }))
        .finally(() => {
          inFlight -= 1;
        });
    });
  }

  return {
    handleUpgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      const url = new URL(req.url ?? '/', 'http://inferscope.invalid');
      const allowed = options.allowedHosts();
      const given = cookieToken(req) ?? url.searchParams.get('token');
      if (url.pathname !== '/ws' || !hostAllowed(req, allowed) || !originAllowed(req, allowed) || !tokensEqual(options.token, given)) {
        socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, onConnection);
    },
    close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}
