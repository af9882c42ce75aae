import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeForkLauncher } from '../../src/core/worker-host/launcher';
import { WorkerSupervisor, type WorkerExitEvent, type WorkerSupervisorOptions } from '../../src/core/worker-host/supervisor';
import { ensureWorkerBuilt } from './build';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** A scratch directory per test file: ONNX Runtime's telemetry cache and fixture scripts go there. */
export function scratchDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-worker-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestSupervisor {
  supervisor: WorkerSupervisor;
  exits: WorkerExitEvent[];
  /** Resolves with the next exit event (or the first one not yet awaited). */
  nextExit(): Promise<WorkerExitEvent>;
}

export async function startSupervisor(
  cacheDir: string,
  options: Partial<WorkerSupervisorOptions> & { hooks?: boolean } = {},
): Promise<TestSupervisor> {
  const { hooks = true, env, ...rest } = options;
  const supervisor = new WorkerSupervisor({
    launcher: nodeForkLauncher,
    workerEntry: await ensureWorkerBuilt(),
    startTimeoutMs: 20_000,
    requestTimeoutMs: 30_000,
    ...rest,
    env: { XDG_CACHE_HOME: cacheDir, INFERSCOPE_TEST_HOOKS: hooks ? '1' : undefined, ...env },
  });
  const exits: WorkerExitEvent[] = [];
  let waiters: Array<(e: WorkerExitEvent) => void> = [];
  let taken = 0;
  supervisor.on('exit', (event) => {
    exits.push(event);
    const ready = waiters;
    waiters = [];
    for (const w of ready) w(event);
  });
  return {
    supervisor,
    exits,
    nextExit: () => {
      const index = taken++;
      const seen = exits[index];
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const wait = (): void => {
          const event = exits[index];
          if (event) resolve(event);
          else waiters.push(wait);
        };
        waiters.push(wait);
      });
    },
  };
}

/** A stand-in worker script (a real process) for failures our own worker cannot produce on demand. */
export function writeScript(dir: string, name: string, source: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return file;
}

/** Settles with the error code, or 'resolved' — for asserting that a promise does settle and how. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
