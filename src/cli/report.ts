/**
 * `inferscope report`: the verdict, charts, method and statistics of one or more runs as a
 * PDF (printed by a local Chromium) or a standalone HTML page, and optionally a CSV.
 */
import { writeOutput } from './run';
import { createRequire } from 'node:module';
import { renderReportHtml, renderReportPdf, reportVerdict, runsToCsv, type Paper, type ReportInput } from '../core/report';
import { formatBytes, formatMs } from '../shared/stats';
import { loadRuns, requirementFromOptions, type RequirementCliOptions, type StoredRun } from './advise';

export interface ReportCliOptions extends RequirementCliOptions {
  output: string;
  csv?: string;
  paper?: Paper;
  chromium?: string;
}

function appVersion(): string | undefined {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Writes the report (and CSV); returns what was written, for the terminal. */
export async function runReport(refs: readonly string[], opts: ReportCliOptions, stored: StoredRun): Promise<string> {
  const started = performance.now();
  const runs = await loadRuns(refs, stored);
  const requirement = requirementFromOptions(opts);
  const paper = opts.paper ?? 'a4';
  const version = appVersion();
  const input: ReportInput = { runs, requirement, paper, ...(version ? { appVersion: version } : {}) };
  // One verdict for the report and the CSV, so both say the same.
  const verdict = reportVerdict(input);
  const lines: string[] = [];
  if (/\.html?$/i.test(opts.output)) {
    const html = renderReportHtml({ ...input, verdict });
    await writeOutput(opts.output, html);
    lines.push(`Wrote ${opts.output} (${formatBytes(Buffer.byteLength(html))}, HTML) in ${formatMs(performance.now() - started)}.`);
  } else {
    const pdf = await renderReportPdf({ ...input, verdict }, { paper, ...(opts.chromium ? { chromiumPath: opts.chromium } : {}) });
    await writeOutput(opts.output, pdf);
    lines.push(
      `Wrote ${opts.output} (${formatBytes(pdf.byteLength)}, ${paper === 'a4' ? 'A4' : 'Letter'} PDF) in ` +
        `${formatMs(performance.now() - started)}.`,
    );
  }
  if (opts.csv) {
    const csv = runsToCsv(runs, verdict);
    await writeOutput(opts.csv, csv);
    lines.push(`Wrote ${opts.csv} (${runs.reduce((n, r) => n + r.configs.length, 0)} configurations).`);
  }
  lines.push(
    ...(verdict
      ? verdict.models.map((m) => `Verdict for ${m.model}: ${m.summary}`)
      : ['No requirement given (--latency, --throughput): the report has measurements but no verdict.']),
  );
  return lines.join('\n');
}
