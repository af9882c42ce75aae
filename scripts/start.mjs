// `npm start`: the desktop app. Electron's binary is fetched on first start rather than at install
// time, so `npm install` works on machines that cannot reach Electron's download host. Where it cannot
// be fetched, or there is no display to open a window on, the same app starts in the browser instead
// (`inferscope serve`). The decisions are in scripts/start-plan.mjs.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildNeeded, chooseHost, electronInstalled, openCommand, servingUrl } from './start-plan.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const electronDir = path.join(root, 'node_modules', 'electron');
const windows = process.platform === 'win32';

/** True once the binary is there, else the last line Electron's installer wrote on failure (its stack trace stays unshown). */
function downloadElectron() {
  console.log('Downloading the Electron binary (first start)…');
  const install = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], {
    cwd: electronDir,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (install.status === 0 && electronInstalled(electronDir)) return true;
  const lines = (install.stderr ?? '').split('\n').filter((line) => line.trim() && !/^\s+at /.test(line));
  return lines.at(-1) ?? false;
}

function startDesktop() {
  const result = spawnSync('npx', ['electron-vite', 'dev', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', shell: windows });
  process.exit(result.status ?? 1);
}

function openInBrowser(url) {
  const opener = openCommand(process.platform, process.env, url);
  if (!opener) return;
  const child = spawn(opener.command, opener.args, { stdio: 'ignore', detached: true, windowsVerbatimArguments: windows });
  child.on('error', () => console.log(`Could not start ${opener.command} to open a browser: open the URL above yourself.`));
  child.unref();
}

function startBrowserHost(reason) {
  console.log(`${reason} Starting the same app in your browser instead (inferscope serve).`);
  const stale = buildNeeded(root);
  if (stale) {
    console.log(`${stale} Building it first (npm run build)…`);
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: windows });
    if (build.status !== 0) {
      console.error('inferscope: BUILD_FAILED: `npm run build` failed (see above), so the app cannot start.');
      process.exit(build.status ?? 1);
    }
  }
  const server = spawn(process.execPath, [path.join(root, 'bin', 'inferscope.js'), 'serve'], {
    cwd: root,
    stdio: ['inherit', 'pipe', 'inherit'],
  });
  let opened = false;
  createInterface({ input: server.stdout }).on('line', (line) => {
    console.log(line);
    const url = opened ? null : servingUrl(line);
    if (url) {
      opened = true;
      openInBrowser(url);
    }
  });
  // Ctrl+C reaches the server through the terminal; this process waits for it to stop and exits with it.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => server.kill('SIGTERM'));
  server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const choice = chooseHost({
  platform: process.platform,
  env: process.env,
  electronReady: electronInstalled(electronDir),
  download: downloadElectron,
});
if (choice.host === 'electron') startDesktop();
else startBrowserHost(choice.reason);
