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

export function chooseOnnxFile(): Promise<File | null> {
  return chooseFile('.onnx');
}
