import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { benchToEnd } from '../../../../src/cli/run';
import { headlessHostHandlers } from '../../../../src/server/host-handlers';
import { createServices, type Services } from '../../../../src/core/services';
import { nodeForkLauncher } from '../../../../src/core/worker-host/launcher';
import { runReport } from '../../../../src/cli/report';
import { runAdvise } from '../../../../src/cli/advise';
import { adviseDeployment } from '../../../../src/shared/advice';
import { VerdictSchema } from '../../../../src/shared/domain/advice';
import type { RunDocument } from '../../../../src/shared/domain/run';
import { repoRoot } from '../../../support/build';
import { parseCsv } from '../../../unit/shared/advice/helpers';
import { canPrint, pdfInfo, pdfText } from './poppler';

let dir: string;
let services: Services;
let run: RunDocument;
/** Saved runs through the contract, as the CLI reads them. */
const stored = (id: string) => services.handlers['runs.get']({ id }, { emit: () => undefined });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-report-run-'));
  services = createServices({
    host: 'cli',
    userDataDir: dir,
    workerEntry: path.join(repoRoot, 'out/node/worker.js'),
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  const { doc } = await benchToEnd(
    { ...services.handlers, ...headlessHostHandlers(services, 'cli') },
    {
      model: { kind: 'sample', name: 'mnist-cnn' },
      eps: ['cpu'],
      threads: [1],
      concurrency: [1, 2],
      minTimeMs: 300,
      maxTimeMs: 1500,
      warmupMaxMs: 3000,
      minIterations: 30,
    },
  );
  run = doc;
});

afterAll(async () => {
  await services?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('advice and report from a real short run (mnist-cnn, CPU, concurrency 1 and 2)', () => {
  test('the verdict is CPU suffices — or, on a machine too noisy to measure, says what is missing', () => {
    expect(run.status).toBe('completed');
    const advice = adviseDeployment([run], { latency: { percentile: 'p95', ms: 50 }, throughputRps: 100 });
    VerdictSchema.parse(advice);
    expect(advice.models.map((m) => m.model)).toEqual(['mnist-cnn']);
    const verdict = { ...advice, ...advice.models[0]! };
    console.log(`real run verdict: ${verdict.status}: ${verdict.summary}`);
    const setup = verdict.rows[0]!;
    expect(verdict.rows).toHaveLength(1);
    expect(setup.points.map((p) => p.concurrency)).toEqual([1, 2]);
    if (setup.reliable) {
      // A 0.3 MFLOP CNN answers in well under a millisecond: one CPU machine serves 100 req/s.
      expect(verdict.status).toBe('cpu-suffices');
      expect(setup.instances).toBe(1);
      expect(verdict.summary).toMatch(/^A GPU is not necessary: CPU with 1 thread, batch 1 meets p95 ≤ 50 ms up to/);
    } else {
      expect(verdict.status).toBe('insufficient-data');
      expect(verdict.missing.join(' ')).toMatch(/stable|CI|samples/);
    }
  });

  test.skipIf(!canPrint)('report: the PDF and the CSV, from the run id in the run store', async () => {
    const pdf = path.join(dir, 'report.pdf');
    const csv = path.join(dir, 'report.csv');
    const started = performance.now();
    const message = await runReport(
      [run.id],
      { output: pdf, csv, latency: { percentile: 'p95', ms: 50 }, throughput: 100, paper: 'letter' },
      stored,
    );
    console.log(`report of a real run in ${(performance.now() - started).toFixed(0)} ms:\n${message}`);
    expect(message).toMatch(/^Wrote .*report\.pdf \(.*, Letter PDF\) in /);
    const verdict = adviseDeployment([run], { latency: { percentile: 'p95', ms: 50 }, throughputRps: 100 }).models[0]!;
    const text = pdfText(pdf);
    expect(text).toContain(verdict.summary);
    expect(text).toContain('Verdict for mnist-cnn');
    expect(text).toContain('mnist-cnn');
    for (const c of run.configs) expect(text).toContain(c.id);
    expect(text).toContain(run.method.stopping);
    expect(pdfInfo(pdf).pageSize).toMatch(/\(letter\)/);
    const rows = parseCsv(readFileSync(csv, 'utf8'));
    expect(rows.length - 1).toBe(run.configs.length);
  });

  test('report to .html needs no browser; advise reads the same run by id', async () => {
    const html = path.join(dir, 'report.html');
    const message = await runReport([run.id], { output: html }, stored);
    expect(message).toMatch(/HTML\) in .*\nNo requirement given/);
    expect(readFileSync(html, 'utf8')).toContain('<title>Inferscope report: mnist-cnn</title>');
    const text = await runAdvise([run.id], { latency: { percentile: 'p99', ms: 100 } }, stored);
    expect(text).toMatch(/^Verdict for mnist-cnn: /);
  });
});
