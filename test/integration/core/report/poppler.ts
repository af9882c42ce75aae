/** poppler-utils (pdfinfo, pdftotext, pdftoppm) to read back the PDFs the report prints. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromiumCandidates } from '../../../../src/core/report/chromium';

export function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const canPrint =
  (Boolean(process.env.INFERSCOPE_CHROMIUM) || chromiumCandidates().some((p) => existsSync(p))) &&
  hasTool('pdfinfo') &&
  hasTool('pdftotext') &&
  hasTool('pdftoppm');

export function pdfInfo(file: string): { pages: number; pageSize: string; title: string } {
  const text = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { pages: Number(field('Pages')), pageSize: field('Page size'), title: field('Title') };
}

/** The text of the PDF (or of one page), with runs of whitespace made single spaces so wrapped sentences match. */
export function pdfText(file: string, page?: number): string {
  const args = page === undefined ? [file, '-'] : ['-f', String(page), '-l', String(page), file, '-'];
  return execFileSync('pdftotext', ['-enc', 'UTF-8', ...args], { encoding: 'utf8' }).replace(/\s+/g, ' ');
}

/** Renders every page to PNG at 50 dpi and returns the files, in page order. */
export function renderPngs(file: string, dir: string): string[] {
  execFileSync('pdftoppm', ['-png', '-r', '50', file, path.join(dir, 'page')]);
  return readdirSync(dir)
    .filter((f) => f.startsWith('page') && f.endsWith('.png'))
    .sort((a, b) => Number(/(\d+)\.png$/.exec(a)?.[1]) - Number(/(\d+)\.png$/.exec(b)?.[1]))
    .map((f) => path.join(dir, f));
}

/** One page as raw RGB (pdftoppm's default PPM output), to look at its pixels without a PNG decoder. */
export function renderPpm(file: string, page: number, dir: string): { width: number; height: number; rgb: Uint8Array } {
  const prefix = path.join(dir, `ppm-${page}`);
  execFileSync('pdftoppm', ['-r', '50', '-f', String(page), '-l', String(page), '-singlefile', file, prefix]);
  const data = readFileSync(`${prefix}.ppm`);
  // "P6\n<width> <height>\n255\n" then width × height × 3 bytes.
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PPM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset + header[0].length, width * height * 3) };
}

/** Pixels in the charts' palette blue (#0072B2 and its tints), never in black or grey text. */
export function bluePixels(image: { rgb: Uint8Array }): number {
  let count = 0;
  for (let i = 0; i + 2 < image.rgb.length; i += 3) {
    const r = image.rgb[i] as number;
    const b = image.rgb[i + 2] as number;
    if (b - r > 60) count++;
  }
  return count;
}
