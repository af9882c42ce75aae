import { app, BrowserWindow, ipcMain, safeStorage, session } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServices } from '../core/services';
import type { Handlers } from '../shared/contract';
import { quitsWhenLastWindowCloses } from '../core/hardware/os';
import { electronDialogs } from './dialogs';
import { desktopHostHandlers } from './host-handlers';
import { registerIpc, trustedSender } from './ipc';
import { ownPage } from './own-page';
import { printReport } from './print-report';
import { SaveGrants } from './save-grants';
import { hardenApp } from './security';
import { osSecretStore } from './secrets';
import { electronUtilityLauncher } from './worker-launcher';

const here = path.dirname(fileURLToPath(import.meta.url));
const page = ownPage({
  packaged: app.isPackaged,
  devRendererUrl: process.env.ELECTRON_RENDERER_URL,
  rendererFile: path.join(here, '../renderer/index.html'),
});

hardenApp({ app, defaultSession: () => session.defaultSession }, page.isOwnUrl);

let mainWindow: BrowserWindow | null = null;

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'Inferscope',
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(page.url);
  return window;
}

void app.whenReady().then(() => {
  const services = createServices({
    host: 'electron',
    userDataDir: app.getPath('userData'),
    workerEntry: path.join(here, 'worker.js'),
    launcher: electronUtilityLauncher,
    versions: { electron: process.versions.electron ?? null, chromium: process.versions.chrome ?? null },
    // Other machines' access tokens, sealed by the OS's secret storage (docs/machines.md#tokens).
    secrets: osSecretStore(safeStorage, path.join(app.getPath('userData'), 'machine-tokens.json')),
  });
  const hostHandlers = desktopHostHandlers(services, {
    dialogs: electronDialogs(() => mainWindow),
    // Paths the user picked in this session's save dialogs: the only ones the renderer may name.
    grants: new SaveGrants(),
    printPdf: (request) => printReport(services, request),
  });
  const handlers: Handlers = { ...services.handlers, ...hostHandlers };
  registerIpc({ ipc: ipcMain, handlers, isTrustedSender: trustedSender(page.isOwnUrl) });

  mainWindow = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  app.on('will-quit', () => void services.dispose());
});

app.on('window-all-closed', () => {
  if (quitsWhenLastWindowCloses()) app.quit();
});
