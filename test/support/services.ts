/**
 * The real services in a data folder of their own, as a host builds them: the contract's handlers
 * (core and the CLI's host commands) over real worker processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServices, type Services } from '../../src/core/services';
import { nodeForkLauncher } from '../../src/core/worker-host/launcher';
import { headlessHostHandlers } from '../../src/server/host-handlers';
import type { Handlers } from '../../src/shared/contract';
import { workerEntry } from './build';

export interface ScratchServices {
  dir: string;
  services: Services;
  handlers: Handlers;
  dispose(): Promise<void>;
}

export function scratchServices(prefix: string, host: 'cli' | 'browser' = 'cli'): ScratchServices {
  const dir = mkdtempSync(path.join(os.tmpdir(), `inferscope-${prefix}-`));
  const services = createServices({
    host,
    userDataDir: dir,
    workerEntry,
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  return {
    dir,
    services,
    handlers: { ...services.handlers, ...headlessHostHandlers(services, host) },
    dispose: async () => {
      await services.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
