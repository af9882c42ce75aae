/**
 * One place for the desktop app's hardening: every renderer is sandboxed, may not navigate any
 * frame away from our own page, open windows, attach webviews, or get any permission.
 * Written against the few members of Electron's objects it uses (index.ts passes the real ones),
 * so tests can check the guards with fakes where the Electron binary cannot run.
 */
interface Preventable {
  preventDefault(): void;
}

/** What the guards use of Electron's WebContents. */
export interface GuardedContents {
  on(event: 'will-navigate', listener: (event: Preventable, url: string) => void): unknown;
  on(event: 'will-redirect', listener: (event: Preventable, url: string) => void): unknown;
  /** Fires for the main frame and every subframe; will-navigate covers the main frame only. */
  on(event: 'will-frame-navigate', listener: (details: Preventable & { url: string }) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
  setWindowOpenHandler(handler: () => { action: 'deny' }): void;
}

export type PermissionRequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;

/** What hardenApp uses of Electron's app and session modules. */
export interface HardenTargets {
  app: {
    enableSandbox(): void;
    whenReady(): Promise<void>;
    on(event: 'web-contents-created', listener: (event: unknown, contents: GuardedContents) => void): unknown;
  };
  defaultSession(): {
    setPermissionRequestHandler(handler: PermissionRequestHandler | null): void;
    setPermissionCheckHandler(handler: (() => boolean) | null): void;
  };
}

export function guardWebContents(contents: GuardedContents, isOwnUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!isOwnUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isOwnUrl(url)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (details) => {
    if (!isOwnUrl(details.url)) details.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export function hardenApp({ app, defaultSession }: HardenTargets, isOwnUrl: (url: string) => boolean): void {
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, isOwnUrl));
  app.whenReady().then(
    () => {
      const session = defaultSession();
      session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
      session.setPermissionCheckHandler(() => false);
    },
    () => undefined,
  );
}
