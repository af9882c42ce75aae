/**
 * The desktop app's navigation and permission guards, with fake WebContents and app objects in
 * place of Electron's (its binary cannot run here; tsc checks the real ones fit the same shapes).
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownPage } from '../../src/main/own-page';
import { guardWebContents, hardenApp, type PermissionRequestHandler } from '../../src/main/security';

const page = ownPage({ packaged: true, devRendererUrl: undefined, rendererFile: path.resolve('out/renderer/index.html') });

class FakeContents extends EventEmitter {
  windowOpenHandler: (() => { action: 'deny' }) | null = null;
  setWindowOpenHandler(handler: () => { action: 'deny' }): void {
    this.windowOpenHandler = handler;
  }
}

/** Emits one navigation event the way Electron does and says whether a guard blocked it. */
function blocked(contents: FakeContents, event: string, url: string): boolean {
  let prevented = false;
  const preventDefault = (): void => void (prevented = true);
  if (event === 'will-frame-navigate') contents.emit(event, { url, isMainFrame: false, frame: null, preventDefault });
  else contents.emit(event, { preventDefault }, url);
  return prevented;
}

describe('navigation guards', () => {
  const contents = new FakeContents();
  guardWebContents(contents, page.isOwnUrl);
  const foreign = ['https://evil.example/', 'file:///etc/passwd', 'http://localhost:5173/', 'javascript:alert(1)', 'about:blank'];

  for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
    it(`${event}: blocks any URL that is not our page and lets our page through`, () => {
      for (const url of foreign) expect(blocked(contents, event, url), url).toBe(true);
      expect(blocked(contents, event, page.url)).toBe(false);
      expect(blocked(contents, event, `${page.url}#decide`)).toBe(false);
    });
  }

  it('refuses webviews and new windows', () => {
    let prevented = false;
    contents.emit('will-attach-webview', { preventDefault: () => (prevented = true) }, {}, { src: page.url });
    expect(prevented).toBe(true);
    expect(contents.windowOpenHandler?.()).toEqual({ action: 'deny' });
  });
});

describe('hardenApp', () => {
  it('turns the sandbox on, guards every new WebContents and refuses every permission', async () => {
    let sandboxed = false;
    const app = new EventEmitter();
    const session: { request?: PermissionRequestHandler | null; check?: (() => boolean) | null } = {};
    hardenApp(
      {
        app: Object.assign(app, { enableSandbox: () => void (sandboxed = true), whenReady: () => Promise.resolve() }),
        defaultSession: () => ({
          setPermissionRequestHandler: (handler) => void (session.request = handler),
          setPermissionCheckHandler: (handler) => void (session.check = handler),
        }),
      },
      page.isOwnUrl,
    );
    expect(sandboxed).toBe(true);

    const contents = new FakeContents();
    app.emit('web-contents-created', {}, contents);
    expect(blocked(contents, 'will-frame-navigate', 'https://evil.example/')).toBe(true);

    await Promise.resolve();
    const answers: boolean[] = [];
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      session.request?.(contents, permission, (granted) => answers.push(granted));
    }
    expect(answers).toEqual([false, false, false, false]);
    expect(session.check?.()).toBe(false);
  });
});
