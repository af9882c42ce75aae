// Runs on `npm install` / `npm ci`: builds the app so `npx inferscope` and `npm run serve` work
// straight after install. Skipped when installed as someone else's dependency without sources.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

if (!existsSync('src') || process.env.INFERSCOPE_SKIP_BUILD === '1') process.exit(0);
const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
