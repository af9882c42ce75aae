/**
 * The worker's end of the host connection. The same bundle runs under Node's
 * child_process.fork (process.send / process.on('message')) and Electron's
 * utilityProcess (process.parentPort, whose messages arrive wrapped in an event's
 * `data`); which one is decided once, here, at startup.
 */
import type { WorkerMessage } from '../core/worker-host/protocol';

export type TransportKind = 'node-fork' | 'electron-utility';

export interface HostConnection {
  readonly kind: TransportKind;
  send(message: WorkerMessage): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** What Electron adds to `process` inside a utility process (typed here: electron is not a worker dependency). */
interface ElectronParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function connectToHost(): HostConnection {
  const parentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort) {
    return {
      kind: 'electron-utility',
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
    };
  }
  const send = process.send?.bind(process);
  if (send) {
    // The host is gone (its end of the channel closed): nobody is left to read results, so stop.
    process.on('disconnect', () => process.exit(0));
    return {
      kind: 'node-fork',
      send: (message) => {
        if (process.connected) send(message as never);
      },
      onMessage: (listener) => process.on('message', listener),
    };
  }
  throw new Error('The Inferscope worker must be started by a host (child_process.fork with an IPC channel, or Electron utilityProcess).');
}
