import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, type CommandContext, type CommandName, type EventName, type Handlers } from '../../../../../src/shared/contract';
import { dispatch } from '../../../../../src/shared/contract/dispatch';
import type { ProviderStatus } from '../../../../../src/shared/domain/hardware';
import { InferscopeError } from '../../../../../src/shared/errors';
import { createElectronBackend } from '../../../../../src/renderer/lib/backend/electron';
import { BackendError } from '../../../../../src/renderer/lib/backend/types';
import type { InferscopeWindowApi } from '../../../../../src/renderer/lib/backend/window-api';

// The Electron binary cannot run here, so `window.api` is built the way main answers it: the
// contract's own dispatcher in front of handlers. The adapter must behave like the web backend.

const provider: ProviderStatus = { name: 'cpu', displayName: 'CPU', status: 'ready', detail: 'ok', probeMs: 2 };

function notHere(command: CommandName) {
  return async () => {
    throw new InferscopeError('NOT_SUPPORTED', `${command} is not part of this test`);
  };
}

/** Every command answers NOT_SUPPORTED except the ones a test needs. */
function withDefaults(covered: Partial<Handlers>): Handlers {
  return { ...Object.fromEntries(COMMAND_NAMES.map((command) => [command, notHere(command)])), ...covered } as Handlers;
}

function windowApi(options: { picked: { path: string } | null; pathForFile: (file: File) => string }) {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const context: CommandContext = {
    emit: (event, payload) => listeners.get(event)?.forEach((listener) => listener(payload)),
  };
  const handlers = withDefaults({
    'hardware.detect': async (_request, ctx) => {
      ctx.emit('hardware.provider', provider);
      throw new InferscopeError('EP_FAILED', 'probe went wrong');
    },
    'samples.list': async () => [],
    'model.inspect': async () => {
      throw new InferscopeError('MODEL_TRUNCATED', 'The file ends early', { detail: '12 of 40 bytes' });
    },
    'recent.list': async () => [],
    'dialog.openModel': async () => options.picked,
  });
  const api: InferscopeWindowApi = {
    invoke: (command, request) => dispatch(handlers, command, request, context),
    on: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => set.delete(listener);
    },
    pathForFile: options.pathForFile,
  };
  return api;
}

describe('electron backend', () => {
  it('resolves values and rejects with the contract code, message and detail', async () => {
    const backend = createElectronBackend(windowApi({ picked: null, pathForFile: () => '' }));
    await expect(backend.invoke('samples.list', {})).resolves.toEqual([]);
    const error = await backend.invoke('model.inspect', { source: { kind: 'path', path: '/m.onnx' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).toInfo()).toEqual({ code: 'MODEL_TRUNCATED', message: 'The file ends early', detail: '12 of 40 bytes' });
  });

  it('passes the request through the contract, so a bad one is refused with BAD_REQUEST', async () => {
    const backend = createElectronBackend(windowApi({ picked: null, pathForFile: () => '' }));
    const bad = { source: { kind: 'path', path: '' } } as const;
    await expect(backend.invoke('model.inspect', bad)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses commands and events outside the contract', async () => {
    const backend = createElectronBackend(windowApi({ picked: null, pathForFile: () => '' }));
    await expect(backend.invoke('shell.exec' as CommandName, {} as never)).rejects.toMatchObject({ code: 'UNKNOWN_COMMAND' });
    expect(() => backend.on('shell.output' as EventName, () => {})).toThrow(BackendError);
  });

  it('delivers events', async () => {
    const backend = createElectronBackend(windowApi({ picked: null, pathForFile: () => '' }));
    const seen: ProviderStatus[] = [];
    const stop = backend.on('hardware.provider', (status) => seen.push(status));
    await expect(backend.invoke('hardware.detect', {})).rejects.toMatchObject({ code: 'EP_FAILED' });
    stop();
    expect(seen).toEqual([provider]);
  });

  it('opens the picked file by path, and nothing when the dialog is cancelled', async () => {
    const picked = createElectronBackend(windowApi({ picked: { path: '/models/a.onnx' }, pathForFile: () => '' }));
    await expect(picked.pickModel()).resolves.toEqual({ kind: 'path', path: '/models/a.onnx' });
    const cancelled = createElectronBackend(windowApi({ picked: null, pathForFile: () => '' }));
    await expect(cancelled.pickModel()).resolves.toBeNull();
  });

  it('opens a dropped file where it lies instead of uploading it', async () => {
    const backend = createElectronBackend(windowApi({ picked: null, pathForFile: (file) => `/home/me/${file.name}` }));
    await expect(backend.uploadModel(new File([], 'b.onnx'))).resolves.toEqual({ kind: 'path', path: '/home/me/b.onnx' });
    const noPath = createElectronBackend(windowApi({ picked: null, pathForFile: () => '' }));
    await expect(noPath.uploadModel(new File([], 'from-browser.onnx'))).rejects.toMatchObject({ code: 'MODEL_NOT_A_FILE' });
  });
});
