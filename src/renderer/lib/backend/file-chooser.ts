/** A transient file input: the browser's own file chooser, limited to what `accept` names. */
export function chooseFile(accept: string): Promise<File | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.addEventListener('change', () => resolve(input.files?.[0] ?? null), { once: true });
    // Chromium fires 'cancel' when the chooser is dismissed; without it the promise would never settle.
    input.addEventListener('cancel', () => resolve(null), { once: true });
    input.click();
  });
}

/** ONNX models, and the PyTorch / TensorFlow files the host converts (it tells them apart by content). */
export const MODEL_FILE_TYPES = '.onnx,.ort,.pt,.pth,.pkl,.bin,.ckpt,.h5,.hdf5,.keras,.tflite,.pb';

export function chooseOnnxFile(): Promise<File | null> {
  return chooseFile(MODEL_FILE_TYPES);
}
