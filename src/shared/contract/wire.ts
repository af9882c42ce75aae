/**
 * The browser host's WebSocket envelope, both ways, and the close codes that carry a reason the
 * page can show. The server (src/server/socket.ts) and the page (renderer/lib/backend/web.ts) use
 * these, so the two cannot drift.
 */
import type { Result } from './index';

export type ClientMessage = { type: 'invoke'; id: number; command: string; request: unknown };

export type ServerMessage = { type: 'result'; id: number; result: Result<unknown> } | { type: 'event'; event: string; payload: unknown };

/** WebSocket close codes (RFC 6455 §7.4.1) with the error code the page turns them into. */
export const WIRE_CLOSE = {
  /** 1009: message too big to process. */
  tooLarge: { code: 1009, reason: 'PAYLOAD_TOO_LARGE' },
  /** 1003: data the endpoint cannot accept. */
  malformed: { code: 1003, reason: 'BAD_REQUEST' },
} as const;

/** The largest message a page may send the browser host by default (a run document to import, say). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
