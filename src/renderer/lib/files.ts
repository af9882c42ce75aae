/**
 * Hands text to the person as a file download. Works the same in the browser host and in
 * Electron (which turns it into a save dialog); nothing is written by the page itself.
 */
export function saveTextFile(fileName: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // Chromium starts reading the blob asynchronously after click(); revoking at once can cut the download short.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
