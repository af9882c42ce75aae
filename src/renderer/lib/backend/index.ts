import { createElectronBackend } from './electron';
import { chooseOnnxFile } from './file-chooser';
import { createWebBackend } from './web';
import type { Backend } from './types';

export type { Backend, BackendKind, ConnectionState } from './types';
export { BackendError } from './types';

/** The one place that decides how this page talks to the services: the preload's API if present, else the host's socket. */
export function createBackend(): Backend {
  if (window.api) return createElectronBackend(window.api);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return createWebBackend({
    socketUrl: `${scheme}://${location.host}/ws`,
    uploadUrl: '/api/upload',
    createSocket: (url) => new WebSocket(url),
    chooseFile: chooseOnnxFile,
  });
}
