// The preload exposes exactly the contract's commands and events, nothing else.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { COMMAND_NAME_LIST, EVENT_NAME_LIST, IPC_EVENT_CHANNEL, IPC_INVOKE_PREFIX } from '../shared/contract/names';

const commandNames = new Set<string>(COMMAND_NAME_LIST);
const eventNames = new Set<string>(EVENT_NAME_LIST);

contextBridge.exposeInMainWorld('api', {
  invoke(command: string, request: unknown): Promise<unknown> {
    if (!commandNames.has(command)) {
      return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_COMMAND', message: `Unknown command: ${command}` } });
    }
    return ipcRenderer.invoke(IPC_INVOKE_PREFIX + command, request);
  },
  on(event: string, callback: (payload: unknown) => void): () => void {
    if (!eventNames.has(event)) throw new Error(`Unknown event: ${event}`);
    const listener = (_: unknown, message: { event: string; payload: unknown }): void => {
      if (message.event === event) callback(message.payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, listener);
    return () => ipcRenderer.off(IPC_EVENT_CHANNEL, listener);
  },
  pathForFile(file: File): string {
    return webUtils.getPathForFile(file);
  },
});
