// What `npm start` does on this machine, as plain functions scripts/start.mjs calls (and the unit test
// test/unit/scripts/start-plan.test.ts checks): the desktop app where Electron can open a window, else the
// same app in the browser (`inferscope serve`), built first when the build is missing or older than the sources.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Whether Electron's binary is on disk (node_modules/electron/path.txt names it inside dist/). */
export function electronInstalled(electronDir) {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return false;
  return existsSync(path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()));
}

/** Whether a window can be shown: macOS and Windows always; Linux and the BSDs only with an X11 or Wayland display. */
export function hasDisplay(platform, env) {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/**
 * Which host `npm start` runs: `{ host: 'electron' }`, or `{ host: 'browser', reason }` with the reason in one line.
 * `download()` fetches Electron's binary and answers true when it is there afterwards, else what went wrong (one
 * line, e.g. "fetch failed") or false; it is called only when the binary is missing and a window could be shown, so a
 * headless server never tries the download.
 */
export function chooseHost({ platform, env, electronReady, download }) {
  if (!hasDisplay(platform, env)) {
    return {
      host: 'browser',
      reason: 'No display here (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app cannot open a window.',
    };
  }
  if (electronReady) return { host: 'electron' };
  const downloaded = download();
  if (downloaded === true) return { host: 'electron' };
  const why = typeof downloaded === 'string' && downloaded.trim() ? downloaded.trim().split('\n')[0] : 'offline or a locked-down network?';
  return { host: 'browser', reason: `The Electron binary could not be downloaded (${why}), so the desktop app cannot start.` };
}

/** What the browser host runs from: the CLI and worker bundles and the built page. */
export const BUILD_OUTPUTS = ['out/node/cli.js', 'out/node/worker.js', 'out/renderer/index.html'];
/** What the build is made from: newer than the oldest output means the build is stale. */
export const BUILD_INPUTS = ['src', 'package.json', 'electron.vite.config.ts', 'scripts/build-node.mjs'];

function newestMtime(target) {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, name)));
  return newest;
}

/** Why `npm run build` must run before serving (a sentence), or null when out/ is complete and newer than the sources. */
export function buildNeeded(root) {
  const missing = BUILD_OUTPUTS.filter((file) => !existsSync(path.join(root, file)));
  if (missing.length > 0) return `The app is not built yet (${missing.join(', ')} missing).`;
  const built = Math.min(...BUILD_OUTPUTS.map((file) => statSync(path.join(root, file)).mtimeMs));
  const changed = BUILD_INPUTS.find((input) => newestMtime(path.join(root, input)) > built);
  return changed === undefined ? null : `The build in out/ is older than ${changed}.`;
}

/** The command that opens a URL in the default browser, or null when there is no display to open it on. */
export function openCommand(platform, env, url) {
  if (!hasDisplay(platform, env)) return null;
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // `start` is a cmd built-in; its first quoted argument is the window title.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] };
  return { command: 'xdg-open', args: [url] };
}

/** The URL in the line `inferscope serve` prints once it listens ("Inferscope is serving at http://…"), or null. */
export function servingUrl(line) {
  const match = /serving at (https?:\/\/\S+)/.exec(line);
  return match ? match[1] : null;
}
