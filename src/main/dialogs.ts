/** Electron's native dialogs behind the DesktopDialogs interface the host handlers use. */
import { dialog, type BrowserWindow, type OpenDialogOptions, type SaveDialogOptions } from 'electron';
import type { DesktopDialogs } from './host-handlers';

export function electronDialogs(parentWindow: () => BrowserWindow | null): DesktopDialogs {
  return {
    async openModel() {
      const options: OpenDialogOptions = {
        title: 'Open a model',
        properties: ['openFile'],
        filters: [
          {
            name: 'Models (ONNX, PyTorch, TensorFlow)',
            extensions: ['onnx', 'ort', 'pt', 'pth', 'pkl', 'bin', 'ckpt', 'h5', 'hdf5', 'keras', 'tflite', 'pb'],
          },
          { name: 'ONNX models', extensions: ['onnx', 'ort'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const parent = parentWindow();
      const picked = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
      return picked.canceled ? null : (picked.filePaths[0] ?? null);
    },
    async saveFile(options) {
      const saveOptions: SaveDialogOptions = { ...options };
      const parent = parentWindow();
      const picked = parent ? await dialog.showSaveDialog(parent, saveOptions) : await dialog.showSaveDialog(saveOptions);
      return picked.canceled || !picked.filePath ? null : picked.filePath;
    },
  };
}
