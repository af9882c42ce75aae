import type { Result } from '../../../shared/contract';
import { isCommandName, isEventName } from './names';
import { toErrorInfo } from '../../../shared/errors';
import { BackendError, unknownCommand, unknownEvent, type Backend } from './types';
import type { InferscopeWindowApi } from './window-api';

/** The desktop app: commands go through the preload's `window.api` to Electron main. */
export function createElectronBackend(api: InferscopeWindowApi): Backend {
  const backend: Backend = {
    kind: 'electron',

    async invoke(command, request) {
      if (!isCommandName(command)) throw unknownCommand(command);
      let result: Result<unknown>;
      try {
        result = await api.invoke(command, request);
      } catch (error) {
        // IPC itself failed (main gone, handler threw outside the dispatcher): keep the code shape.
        throw new BackendError(toErrorInfo(error));
      }
      if (!result.ok) throw new BackendError(result.error);
      return result.value as never;
    },

    on(event, listener) {
      if (!isEventName(event)) throw unknownEvent(event);
      return api.on(event, (payload) => listener(payload as never));
    },

    async pickModel() {
      const picked = await backend.invoke('dialog.openModel', {});
      return picked ? { kind: 'path', path: picked.path } : null;
    },

    async uploadModel(file) {
      const path = api.pathForFile(file);
      if (!path) {
        throw new BackendError({
          code: 'MODEL_NOT_A_FILE',
          message: `“${file.name}” is not a file on this computer. Drop the .onnx file itself, or use Open model….`,
        });
      }
      return { kind: 'path', path };
    },

    onConnection(listener) {
      listener('connected');
      return () => {};
    },
  };
  return backend;
}
