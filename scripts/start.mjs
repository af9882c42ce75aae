// `npm start`: the desktop app. Electron's binary is fetched on first start rather than at install
// time, so `npm install` works on machines that cannot reach Electron's download host.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const electronDir = path.join(root, 'node_modules', 'electron');

function electronInstalled() {
  const pathFile = path.join(electronDir, 'path.txt');
  return existsSync(pathFile) && existsSync(path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8')));
}

if (!electronInstalled()) {
  console.log('Downloading the Electron binary (first start)…');
  const install = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { cwd: electronDir, stdio: 'inherit' });
  if (install.status !== 0 || !electronInstalled()) {
    console.error(
      '\nThe Electron binary could not be downloaded, so the desktop app cannot start here.\n' +
        'Use the browser host instead — the same app in your browser:\n\n    npm run serve\n',
    );
    process.exit(1);
  }
}

const result = spawnSync('npx', ['electron-vite', 'dev', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
