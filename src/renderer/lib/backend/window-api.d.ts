import type { Result } from '../../../shared/contract';

/**
 * What the Electron preload exposes as `window.api` (and nothing more). The browser host has
 * no `window.api`, which is how the page tells the two apart.
 */
export interface InferscopeWindowApi {
  invoke(command: string, request: unknown): Promise<Result<unknown>>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** The dropped file's path on disk (Electron's webUtils.getPathForFile); '' when it has none. */
  pathForFile(file: File): string;
}

declare global {
  interface Window {
    api?: InferscopeWindowApi;
  }
}
