/** A transient file input: the browser's own file chooser, limited to ONNX files. */
export function chooseOnnxFile(): Promise<File | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = '.onnx';
    input.addEventListener('change', () => resolve(input.files?.[0] ?? null), { once: true });
    // Chromium fires 'cancel' when the chooser is dismissed; without it the promise would never settle.
    input.addEventListener('cancel', () => resolve(null), { once: true });
    input.click();
  });
}
