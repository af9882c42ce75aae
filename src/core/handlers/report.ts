/** Reports of saved runs as PDF, HTML, CSV or JSON; hosts decide where the bytes go. */
import { adviseDeployment } from '../../shared/advice';
import type { Requirement } from '../../shared/domain/advice';
import type { RunDocument } from '../../shared/domain/run';
import { renderReportHtml, renderReportPdf, runsToCsv } from '../report';
import type { RunStore } from '../store/runs';
import { loadRuns } from './advice';

export interface ReportRequest {
  runIds: string[];
  requirement: Requirement | null;
  format: 'pdf' | 'csv' | 'json' | 'html';
  paper: 'a4' | 'letter';
}

export interface RenderedReport {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A report of saved runs in one format; PDFs are printed by a Chromium found on this machine. */
export async function renderReport(runs: RunStore, appVersion: string, request: ReportRequest): Promise<RenderedReport> {
  const docs = await loadRuns(runs, request.runIds);
  const first = docs[0] as RunDocument;
  const model = first.model.name.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_');
  const base = `inferscope-${model}${docs.length > 1 ? `-${docs.length}-runs` : ''}`;
  const input = { runs: docs, requirement: request.requirement, paper: request.paper, appVersion };
  switch (request.format) {
    case 'pdf':
      return { fileName: `${base}.pdf`, mimeType: 'application/pdf', bytes: await renderReportPdf(input, { paper: request.paper }) };
    case 'html':
      return { fileName: `${base}.html`, mimeType: 'text/html', bytes: utf8(renderReportHtml(input)) };
    case 'csv': {
      const verdict = request.requirement ? adviseDeployment(docs, request.requirement) : null;
      return { fileName: `${base}.csv`, mimeType: 'text/csv', bytes: utf8(runsToCsv(docs, verdict)) };
    }
    case 'json': {
      // Without a requirement: the run document(s) as saved. With one: the verdict beside them.
      const { requirement } = request;
      const value = requirement
        ? { schema: 'inferscope.report', schemaVersion: 2, requirement, verdict: adviseDeployment(docs, requirement), runs: docs }
        : docs.length === 1
          ? first
          : docs;
      return {
        fileName: `${docs.length === 1 ? first.id : base}.json`,
        mimeType: 'application/json',
        bytes: utf8(JSON.stringify(value, null, 2)),
      };
    }
  }
}
