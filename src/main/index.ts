import { app, BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createServices, type Services } from '../core/services';
import { dispatch } from '../shared/contract/dispatch';
import { COMMAND_NAMES, type HostHandlers, type Handlers } from '../shared/contract';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_PREFIX } from '../shared/contract/names';
import { hardenApp } from './security';
import { printReport } from './print-report';
import { writeFile } from 'node:fs/promises';
import { quitsWhenLastWindowCloses } from '../core/hardware/os';
import { electronUtilityLauncher } from './worker-launcher';

const here = path.dirname(fileURLToPath(import.meta.url));
const devRendererUrl = process.env.ELECTRON_RENDERER_URL;
const rendererFile = path.join(here, '../renderer/index.html');
const rendererUrl = devRendererUrl ?? pathToFileURL(rendererFile).href;

function isOwnUrl(url: string): boolean {
  if (devRendererUrl) return new URL(url).origin === new URL(devRendererUrl).origin;
  return url.split(/[?#]/)[0] === rendererUrl;
}

hardenApp(isOwnUrl);

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
  void window.loadURL(rendererUrl);
  return window;
}

const hostHandlers = (services: Services): HostHandlers => ({
  'dialog.openModel': async () => {
    const options = {
      title: 'Open an ONNX model',
      properties: ['openFile' as const],
      filters: [
        { name: 'ONNX models', extensions: ['onnx', 'ort'] },
        { name: 'All files', extensions: ['*'] },
      ],
    };
    const picked = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
    const file = picked.filePaths[0];
    return picked.canceled || !file ? null : { path: file };
  },
  'variants.export': async (request) => {
    if (request.path) return services.exportVariant(request.id, request.path);
    const file = await services.variantFile(request.id);
    const options = { title: 'Save the variant', defaultPath: file.fileName, filters: [{ name: 'ONNX models', extensions: ['onnx'] }] };
    const picked = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
    return picked.canceled || !picked.filePath ? null : services.exportVariant(request.id, picked.filePath);
  },
  'report.export': async (request) => {
    // PDFs are printed by Electron's own Chromium; the other formats come from the shared services.
    const report =
      request.format === 'pdf'
        ? await printReport(services, request)
        : await services.renderReport(request);
    const options = { title: 'Save the report', defaultPath: report.fileName };
    const picked = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
    if (picked.canceled || !picked.filePath) return null;
    await writeFile(picked.filePath, report.bytes);
    return { fileName: report.fileName, mimeType: report.mimeType, dataBase64: null, savedTo: picked.filePath };
  },
});

void app.whenReady().then(() => {
  const services = createServices({
    host: 'electron',
    userDataDir: app.getPath('userData'),
    workerEntry: path.join(here, 'worker.js'),
    launcher: electronUtilityLauncher,
    versions: { electron: process.versions.electron ?? null, chromium: process.versions.chrome ?? null },
  });
  const handlers: Handlers = { ...services.handlers, ...hostHandlers(services) };

  for (const command of COMMAND_NAMES) {
    ipcMain.handle(IPC_INVOKE_PREFIX + command, async (event: IpcMainInvokeEvent, request: unknown) => {
      // Only our own page may call the backend, never a frame that navigated elsewhere.
      const senderUrl = event.senderFrame?.url;
      if (!senderUrl || !isOwnUrl(senderUrl)) {
        return { ok: false, error: { code: 'UNAUTHORIZED', message: 'Request from an unknown page' } };
      }
      return dispatch(handlers, command, request, {
        emit: (name, payload) => {
          if (!event.sender.isDestroyed()) event.sender.send(IPC_EVENT_CHANNEL, { event: name, payload });
        },
      });
    });
  }

  mainWindow = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  app.on('will-quit', () => void services.dispose());
});

app.on('window-all-closed', () => {
  if (quitsWhenLastWindowCloses()) app.quit();
});
