// `npm test`: every tier in order — build, typecheck, lint, format, sizes, unit, integration, security, end to end —
// then one summary line `N passed, N failed[, N skipped]` (the line CI reads).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'inferscope-test-'));
const only = process.argv.slice(2);

// Tests leave nothing behind: onnxruntime's telemetry, samples and runs go to a scratch folder.
const env = {
  ...process.env,
  XDG_CACHE_HOME: path.join(scratch, 'cache'),
  INFERSCOPE_HOME: path.join(scratch, 'home'),
  INFERSCOPE_TEST_HOOKS: '1',
  // Tests that open onnxruntime sessions in their own process: no telemetry there either.
  ORT_DISABLE_TELEMETRY: '1',
  FORCE_COLOR: '0',
  PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(scratch, 'playwright.json'),
};

const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];

function run(name, command, args) {
  console.log(`\n━━ ${name}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  console.log(`━━ ${name}: exit ${result.status ?? result.signal} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.status === 0;
}

/** A step that is one check (build, typecheck, lint). */
function check(name, command, args) {
  if (only.length && !only.includes(name)) return;
  if (run(name, command, args)) totals.passed += 1;
  else {
    totals.failed += 1;
    failedSteps.push(name);
  }
}

function vitest(project) {
  if (only.length && !only.includes(project)) return;
  const report = path.join(scratch, `vitest-${project}.json`);
  const ok = run(project, 'npx', [
    'vitest',
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ]);
  if (!existsSync(report)) {
    totals.failed += 1;
    failedSteps.push(`${project} (no report)`);
    return;
  }
  const data = JSON.parse(readFileSync(report, 'utf8'));
  totals.passed += data.numPassedTests;
  totals.failed += data.numFailedTests;
  totals.skipped += data.numPendingTests + data.numTodoTests;
  if (!ok && data.numFailedTests === 0) {
    totals.failed += 1; // a suite that failed to load still fails the run
    failedSteps.push(`${project} (suite error)`);
  } else if (data.numFailedTests > 0) failedSteps.push(project);
}

function playwright() {
  if (only.length && !only.includes('e2e')) return;
  const report = path.join(scratch, 'playwright.json');
  const ok = run('e2e', 'npx', ['playwright', 'test']);
  if (!existsSync(report)) {
    totals.failed += 1;
    failedSteps.push('e2e (no report)');
    return;
  }
  const stats = JSON.parse(readFileSync(report, 'utf8')).stats ?? {};
  totals.passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
  totals.failed += stats.unexpected ?? 0;
  totals.skipped += stats.skipped ?? 0;
  if (!ok && !stats.unexpected) {
    totals.failed += 1;
    failedSteps.push('e2e (runner error)');
  } else if (stats.unexpected) failedSteps.push('e2e');
}

check('build', 'npm', ['run', 'build']);
check('typecheck', 'npm', ['run', 'typecheck']);
check('lint', 'npm', ['run', 'lint']);
check('format', 'npm', ['run', 'format:check']);
check('sizes', 'npm', ['run', 'check:sizes']);
vitest('unit');
vitest('integration');
vitest('security');
playwright();

rmSync(scratch, { recursive: true, force: true });
if (failedSteps.length) console.log(`\nFailed: ${failedSteps.join(', ')}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
