/**
 * The WorkerLauncher of the desktop app: Electron's utilityProcess, the sandboxed
 * Node process Electron provides for exactly this (a crash there never takes the
 * window with it). Same interface as nodeForkLauncher, which the integration tests run
 * for real; this adapter is only type-checked here because the Electron binary cannot
 * be installed on the build machines.
 */
import { utilityProcess } from 'electron';
import { OnceEvent, OutputTail, heartbeatReader, type WorkerExitInfo, type WorkerLauncher } from '../core/worker-host/launcher';
import { HEARTBEAT_ENV } from '../core/worker-host/protocol';

const FORCE_KILL_AFTER_MS = 2_000;

export const electronUtilityLauncher: WorkerLauncher = {
  kind: 'electron-utility',
  launch(entry, options) {
    const stderr = new OutputTail();
    const exited = new OnceEvent<WorkerExitInfo>();
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
    // utilityProcess has no extra pipes: the heartbeat thread writes its lines to stdout (fd 1).
    if (options.heartbeatMs) Object.assign(env, { [HEARTBEAT_ENV.intervalMs]: String(options.heartbeatMs), [HEARTBEAT_ENV.fd]: '1' });
    const listeners: Array<(message: unknown) => void> = [];

    const child = utilityProcess.fork(entry, [], {
      serviceName: 'Inferscope worker',
      env,
      execArgv: options.execArgv ?? [],
      stdio: 'pipe',
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdout?.on(
      'data',
      heartbeatReader(
        (message) => listeners.forEach((listener) => listener(message)),
        (line) => stderr.push(`[host] worker output: ${line}\n`),
      ),
    );
    // Electron's exit event carries only the code; a V8 fatal error arrives first as 'error'.
    child.on('error', (type, location) => stderr.push(`[host] utility process ${type} at ${location}\n`));
    child.on('exit', (code) => exited.fire({ code, signal: null }));

    return {
      get pid() {
        return child.pid;
      },
      postMessage(message) {
        if (exited.fired) return;
        child.postMessage(message);
      },
      onMessage(listener) {
        listeners.push(listener);
        child.on('message', listener);
      },
      onExit(listener) {
        exited.on(listener);
      },
      kill() {
        if (exited.fired) return;
        const pid = child.pid;
        // kill() is SIGTERM; an EP stuck in native code with the signal blocked still has to go.
        child.kill();
        if (pid !== undefined) {
          setTimeout(() => {
            if (!exited.fired) {
              try {
                process.kill(pid, 'SIGKILL');
              } catch {
                // Already gone between the check and the kill.
              }
            }
          }, FORCE_KILL_AFTER_MS).unref();
        }
      },
      stderrTail: () => stderr.toString(),
    };
  },
};
