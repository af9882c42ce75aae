// Draws the app icon — a magnifier over a small bar chart, on the accent colour of the UI — as
// resources/icon.svg and resources/icon.png (512×512, what electron-builder turns into .icns, .ico
// and the Linux icons). Both come from the same shapes below; run `node scripts/make-icon.mjs`
// after changing them and commit the two files.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const SIZE = 512;
/** Samples per pixel along each axis: edges are anti-aliased by coverage. */
const SUPERSAMPLE = 4;

const tile = { x: 32, y: 32, size: 448, radius: 100, top: [99, 102, 241], bottom: [67, 56, 202] };
const lens = { cx: 222, cy: 222, radius: 118, stroke: 34 };
const handle = { x1: 312, y1: 312, x2: 392, y2: 392, width: 50 };
const white = [255, 255, 255];
const barColour = [199, 205, 254];
const bars = [
  { x: 164, y: 236, width: 30, height: 52 },
  { x: 207, y: 198, width: 30, height: 90 },
  { x: 250, y: 164, width: 30, height: 124 },
];

const inRoundedRect = (x, y, r) => {
  const dx = Math.max(r.x + r.radius - x, 0, x - (r.x + r.size - r.radius));
  const dy = Math.max(r.y + r.radius - y, 0, y - (r.y + r.size - r.radius));
  return x >= r.x && x <= r.x + r.size && y >= r.y && y <= r.y + r.size && dx * dx + dy * dy <= r.radius * r.radius;
};
const inRing = (x, y) => Math.abs(Math.hypot(x - lens.cx, y - lens.cy) - lens.radius) <= lens.stroke / 2;
const inHandle = (x, y) => {
  const vx = handle.x2 - handle.x1;
  const vy = handle.y2 - handle.y1;
  const t = Math.min(1, Math.max(0, ((x - handle.x1) * vx + (y - handle.y1) * vy) / (vx * vx + vy * vy)));
  return Math.hypot(x - (handle.x1 + t * vx), y - (handle.y1 + t * vy)) <= handle.width / 2;
};
const inBar = (x, y) => bars.some((b) => x >= b.x && x <= b.x + b.width && y >= b.y && y <= b.y + b.height);

/** The colour at one sample point, painted back to front; null outside the tile. */
function colourAt(x, y) {
  if (!inRoundedRect(x, y, tile)) return null;
  if (inRing(x, y) || inHandle(x, y)) return white;
  if (inBar(x, y)) return barColour;
  const t = (y - tile.y) / tile.size;
  return tile.top.map((c, i) => c + (tile.bottom[i] - c) * t);
}

function drawPng() {
  const png = new PNG({ width: SIZE, height: SIZE });
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      const sum = [0, 0, 0];
      let covered = 0;
      for (let s = 0; s < samples; s++) {
        const colour = colourAt(px + ((s % SUPERSAMPLE) + 0.5) / SUPERSAMPLE, py + (Math.floor(s / SUPERSAMPLE) + 0.5) / SUPERSAMPLE);
        if (!colour) continue;
        covered++;
        for (let i = 0; i < 3; i++) sum[i] += colour[i];
      }
      const at = (py * SIZE + px) * 4;
      for (let i = 0; i < 3; i++) png.data[at + i] = covered ? Math.round(sum[i] / covered) : 0;
      png.data[at + 3] = Math.round((255 * covered) / samples);
    }
  }
  return PNG.sync.write(png);
}

function drawSvg() {
  const hex = (rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
  const barRects = bars.map((b) => `<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" fill="${hex(barColour)}"/>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">`,
    `  <defs><linearGradient id="tile" x1="0" y1="0" x2="0" y2="1">`,
    `    <stop offset="0" stop-color="${hex(tile.top)}"/><stop offset="1" stop-color="${hex(tile.bottom)}"/>`,
    `  </linearGradient></defs>`,
    `  <rect x="${tile.x}" y="${tile.y}" width="${tile.size}" height="${tile.size}" rx="${tile.radius}" fill="url(#tile)"/>`,
    ...barRects.map((r) => `  ${r}`),
    `  <circle cx="${lens.cx}" cy="${lens.cy}" r="${lens.radius}" fill="none" stroke="#ffffff" stroke-width="${lens.stroke}"/>`,
    `  <line x1="${handle.x1}" y1="${handle.y1}" x2="${handle.x2}" y2="${handle.y2}"`,
    `    stroke="#ffffff" stroke-width="${handle.width}" stroke-linecap="round"/>`,
    '</svg>',
    '',
  ].join('\n');
}

const resources = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'resources');
mkdirSync(resources, { recursive: true });
writeFileSync(path.join(resources, 'icon.svg'), drawSvg());
writeFileSync(path.join(resources, 'icon.png'), drawPng());
console.log(`wrote ${path.join(resources, 'icon.svg')} and icon.png (${SIZE}×${SIZE})`);
