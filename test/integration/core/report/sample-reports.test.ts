/**
 * The PDF report of every sample, from a real short run, checked by machine the way a reader
 * checks it on paper: every word inside the printable area (no table cut at the right edge),
 * no two words on top of each other (chart labels included), nothing shrunk to fit, the
 * Decide view's words for setups that are not eligible, and a reason beside every time ratio
 * that reads against the items/s ratio next to it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { benchToEnd } from '../../../../src/cli/run';
import { headlessHostHandlers } from '../../../../src/server/host-handlers';
import { createServices, type Services } from '../../../../src/core/services';
import { nodeForkLauncher } from '../../../../src/core/worker-host/launcher';
import { listSamples } from '../../../../src/core/zoo/catalog';
import { CHROMIUM_PRINT_ARGS, findChromium, htmlToPdf, PDF_MARGINS, renderReportHtml } from '../../../../src/core/report';
import { REPORT_BOOTSTRAP_DRAWS } from '../../../../src/core/report/result-tables';
import { adviseDeployment, compareRuns } from '../../../../src/shared/advice';
import { NOT_ELIGIBLE_NOTE, ROW_STATUS_LABEL } from '../../../../src/shared/advice/row-status';
import type { RequirementInput } from '../../../../src/shared/domain/advice';
import { repoRoot } from '../../../support/build';
import { canPrint, checkLayout, pdfInfo, pdfText, pngSize, renderPngs } from './poppler';

const MM = 72 / 25.4;
const margin = { left: parseFloat(PDF_MARGINS.left) * MM, right: parseFloat(PDF_MARGINS.right) * MM };
/** pdftotext rounds glyph boxes; anything further out than this is cut or crowded for real. */
const SLACK_PT = 1;
/** The smallest word box a reader can take in on paper: about 6 pt type. */
const MIN_WORD_HEIGHT_PT = 6.5;
/** No batching delay: batch 8 is not eligible, as the Decide view would say. */
const requirement: RequirementInput = { latency: { percentile: 'p95', ms: 50 }, throughputRps: 200, maxBatchDelayMs: 0 };
/** A4's width inside the margins, in CSS pixels (96 per inch): what a page lays out in before any shrinking. */
const A4_CONTENT_PX = Math.floor(((210 - parseFloat(PDF_MARGINS.left) - parseFloat(PDF_MARGINS.right)) / 25.4) * 96);

const samples = listSamples().map((s) => s.name);
const squash = (s: string) => s.replace(/\s+/g, '');

let dir: string;
let services: Services;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-sample-reports-'));
  services = createServices({
    host: 'cli',
    userDataDir: dir,
    workerEntry: path.join(repoRoot, 'out/node/worker.js'),
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  const { chromium } = await import('playwright-core');
  if (canPrint) browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: [...CHROMIUM_PRINT_ARGS] });
});

afterAll(async () => {
  await browser?.close();
  await services?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Elements wider than the page's content width when the report is laid out for print: what Chromium would shrink or cut. */
async function overflowing(html: string): Promise<{ scrollWidth: number; wide: string[] }> {
  const page = await browser.newPage({ viewport: { width: A4_CONTENT_PX, height: 1000 } });
  try {
    await page.emulateMedia({ media: 'print' });
    await page.setContent(html, { waitUntil: 'load' });
    // A string, run in the page: this project's Node typings have no DOM.
    return (await page.evaluate(`(() => {
      const limit = ${A4_CONTENT_PX};
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > limit + 1)
        .map((e) => e.tagName.toLowerCase() + '.' + (e.getAttribute('class') ?? '') + ' ' + Math.round(e.getBoundingClientRect().right));
      return { scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 5) };
    })()`)) as { scrollWidth: number; wide: string[] };
  } finally {
    await page.close();
  }
}

describe.skipIf(!canPrint)('the PDF report of every sample (real run: CPU, batch 1 and 8, 1 and 2 requests in flight)', () => {
  test.each(samples)('%s: fits the page, nothing overlaps, the app’s words', { timeout: 180_000 }, async (name) => {
    const started = performance.now();
    const { doc: run } = await benchToEnd(
      { ...services.handlers, ...headlessHostHandlers(services, 'cli') },
      {
        model: { kind: 'sample', name },
        eps: ['cpu'],
        threads: [1],
        batches: [1, 8],
        concurrency: [1, 2],
        repetitions: 1,
        minTimeMs: 200,
        maxTimeMs: 700,
        warmupMaxMs: 1000,
        minIterations: 10,
        profile: true,
      },
    );
    const benchMs = performance.now() - started;
    // On a loaded machine a batch-8 level of the largest model may finish no run within the short time: said, not failed.
    const notDone = run.configs.filter((c) => c.status !== 'done');
    if (notDone.length)
      console.info(`${name}: not measured: ${notDone.map((c) => `${c.id} ${c.status} ${c.error?.message ?? ''}`).join('; ')}`);
    for (const batch of [1, 8]) expect(run.configs.some((c) => c.status === 'done' && c.batch === batch)).toBe(true);

    const verdict = adviseDeployment([run], requirement);
    const html = renderReportHtml({ runs: [run], verdict, paper: 'a4' });
    const fit = await overflowing(html);
    expect(fit.wide, `wider than the page (${A4_CONTENT_PX} px)`).toEqual([]);
    expect(fit.scrollWidth).toBeLessThanOrEqual(A4_CONTENT_PX);

    const printed = performance.now();
    const pdf = path.join(dir, `${name}.pdf`);
    writeFileSync(pdf, await htmlToPdf(html, { paper: 'a4' }));
    const printMs = performance.now() - printed;

    // The pages rasterize, each an A4 page at 50 dpi.
    const info = pdfInfo(pdf);
    const pngs = renderPngs(pdf, mkdtempSync(path.join(dir, `${name}-png-`)));
    expect(pngs.length).toBe(info.pages);
    for (const png of pngs) {
      const size = pngSize(png);
      expect(Math.abs(size.width - Math.round((210 / 25.4) * 50))).toBeLessThanOrEqual(1);
      expect(Math.abs(size.height - Math.round((297 / 25.4) * 50))).toBeLessThanOrEqual(1);
    }

    const layout = checkLayout(pdf, Math.min(margin.left, margin.right), SLACK_PT);
    expect(layout.pages).toBe(info.pages);
    const { smallest, worstMargin } = layout;
    const smallestPt = smallest ? smallest.yMax - smallest.yMin : 0;
    console.info(
      `${name}: ${info.pages} pages, ${layout.words} words checked, worst side margin ${(worstMargin / MM).toFixed(1)} mm ` +
        `(${worstMargin.toFixed(1)} pt; margins ${(margin.left / MM).toFixed(0)} mm), smallest word ${smallestPt.toFixed(1)} pt ` +
        `("${smallest?.text}", page ${smallest?.page}), ${layout.outside.length} outside, ${layout.overlaps.length} overlapping; ` +
        `bench ${(benchMs / 1000).toFixed(1)} s, PDF ${(printMs / 1000).toFixed(1)} s`,
    );
    expect(layout.outside).toEqual([]);
    expect(layout.overlaps).toEqual([]);
    expect(smallestPt).toBeGreaterThanOrEqual(MIN_WORD_HEIGHT_PT);

    // The verdict's setups in the Decide view's words: batch 8 without a batching delay is not eligible, never "fails".
    const text = pdfText(pdf);
    const ineligible = verdict.rows.filter((r) => !r.eligible);
    expect(ineligible.length).toBeGreaterThan(0);
    expect(text).toContain(ROW_STATUS_LABEL['not-eligible']);
    expect(text).toContain(NOT_ELIGIBLE_NOTE);
    const setupRows = /<table class="setups">.*?<\/table>/s.exec(html)?.[0].split('<tr>').slice(2) ?? [];
    for (const row of setupRows.filter((r) => r.includes('batch 8'))) {
      expect(row).toContain('st-not-eligible');
      expect(row).not.toMatch(/>fails</);
    }

    // A time ratio that reads against the items/s ratio beside it carries the reason, in the PDF.
    const entries = compareRuns([run], { maxBootstrapDraws: REPORT_BOOTSTRAP_DRAWS }).flatMap((c) => c.entries);
    const against = entries.filter(
      (e) =>
        e.throughputRatio !== null &&
        ((e.vsBaseline?.verdict === 'slower' && e.throughputRatio > 1.02) ||
          (e.vsBaseline?.verdict === 'faster' && e.throughputRatio < 0.98)),
    );
    for (const e of against) {
      expect(e.throughputNote, `${e.label}: ${e.statement} beside ${e.throughputRatio}× items/s`).toBeTruthy();
      expect(squash(text)).toContain(squash(e.throughputNote ?? ''));
    }
    console.info(`${name}: ${against.length} of ${entries.length - 1} comparisons read against their items/s ratio, each with its reason`);
  });
});
