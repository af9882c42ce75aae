/**
 * The inference worker: a process of its own so that a crashing or hanging execution
 * provider can never take down the UI or lose results. Started by the host's
 * WorkerSupervisor (src/core/bench/supervisor.ts) through child_process.fork or
 * Electron's utilityProcess; speaks src/core/bench/protocol.ts.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { toErrorInfo } from '../shared/errors';
import { HostMessageSchema, type RequestType, type WorkerMessage } from '../core/worker-host/protocol';
import { connectToHost, type HostConnection } from './transport';
import { handlers, type RequestContext } from './handlers';
import { runtimeBackends, runtimeVersions } from './runtime';
import { isBenchThreadData, runBenchThread } from './bench-thread';
import { setBenchThreadEntry } from './concurrent';
import { startHeartbeat } from './heartbeat';

function main(): void {
  const host = connectToHost();
  const running = new Map<string, AbortController>();

  // A stray exception means our state is unknown: exit and let the supervisor report and respawn.
  process.on('uncaughtException', (error) => {
    process.stderr.write(`inferscope worker: uncaught exception: ${error.stack ?? error.message}\n`);
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`inferscope worker: unhandled rejection: ${String(reason)}\n`);
    process.exit(70);
  });

  const heartbeatMs = startHeartbeat();
  const announce = (): void =>
    host.send({
      type: 'ready',
      pid: process.pid,
      versions: runtimeVersions(),
      backends: runtimeBackends(),
      transport: host.kind,
      heartbeatMs,
    });

  host.onMessage((raw) => {
    const parsed = HostMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const id =
        raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
      if (id) {
        host.send({ type: 'error', id, error: { code: 'BAD_REQUEST', message: `Invalid request: ${parsed.error.message}` } });
      } else {
        process.stderr.write(`inferscope worker: ignored an invalid message: ${parsed.error.message}\n`);
      }
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'hello':
        announce();
        return;
      case 'cancel':
        running.get(message.id)?.abort();
        return;
      default:
        void handle(host, running, message.type, message);
    }
  });

  announce();
}

async function handle<T extends RequestType>(
  host: HostConnection,
  running: Map<string, AbortController>,
  type: T,
  request: Parameters<(typeof handlers)[T]>[0],
): Promise<void> {
  const { id } = request;
  if (running.has(id)) {
    host.send({ type: 'error', id, error: { code: 'BAD_REQUEST', message: `Request ${id} is already running.` } });
    return;
  }
  const controller = new AbortController();
  running.set(id, controller);
  const context: RequestContext<T> = {
    signal: controller.signal,
    progress: (value) => host.send({ type: 'progress', id, value }),
  };
  let reply: WorkerMessage;
  try {
    const handler = handlers[type] as (r: typeof request, c: RequestContext<T>) => Promise<unknown>;
    reply = { type: 'result', id, value: await handler(request, context) };
  } catch (error) {
    reply = { type: 'error', id, error: toErrorInfo(error) };
  } finally {
    running.delete(id);
  }
  host.send(reply);
}

// The bundle is also the body of the bench threads (concurrency > 1): one file to ship, one to find.
if (!isMainThread && isBenchThreadData(workerData)) {
  void runBenchThread(workerData);
} else {
  setBenchThreadEntry(new URL(import.meta.url));
  main();
}
