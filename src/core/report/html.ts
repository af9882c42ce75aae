/**
 * The report as one standalone HTML document: inline CSS and SVG, no script, no network.
 * The same markup prints to PDF through headless Chromium (pdf.ts) or Electron's
 * printToPDF, so everything about paper lives in the CSS here.
 */
import { adviseDeployment, runLabels } from '../../shared/advice';
import type { RequirementInput, Verdict } from '../../shared/domain/advice';
import type { RunDocument } from '../../shared/domain/run';
import { InferscopeError } from '../../shared/errors';
import {
  appendixSection,
  chartsSection,
  comparisonSection,
  environmentSection,
  methodSection,
  modelSection,
  placementSection,
  requirementSection,
  resultsSection,
  setupsSection,
  verdictSection,
  warningsSection,
  type SectionContext,
} from './sections';
import { esc } from './svg';
import { modelTitle } from './converted';

export type Paper = 'a4' | 'letter';

export const PAPER_CSS_SIZE: Readonly<Record<Paper, string>> = { a4: 'A4', letter: 'letter' };

export interface ReportInput {
  runs: readonly RunDocument[];
  /** Advise against this requirement; without one (and without a verdict) the report shows the measurements only. */
  requirement?: RequirementInput | null;
  /** A verdict computed already (the app shows the same one); otherwise computed from `requirement`. */
  verdict?: Verdict | null;
  paper?: Paper;
  /** When the report was made; defaults to now. */
  generatedAt?: Date | string;
  /** Quality per model variant (e.g. top-1 agreement with fp32) for the speed-against-quality chart. */
  variantQuality?: { metric: string; byVariant: Record<string, number> } | null;
  title?: string;
  /** Inferscope's version, printed in the header. */
  appVersion?: string;
}

/** The verdict the report prints: the given one, one computed from the requirement, or none. */
export function reportVerdict(input: ReportInput): Verdict | null {
  if (input.verdict) return input.verdict;
  if (input.requirement) return adviseDeployment(input.runs, input.requirement);
  return null;
}

export function reportTitle(input: ReportInput): string {
  if (input.title) return input.title;
  const models = [...new Set(input.runs.map((r) => modelTitle(r.model)))];
  return `Inferscope report: ${models.join(', ')}`;
}

export function renderReportHtml(input: ReportInput): string {
  if (input.runs.length === 0) throw new InferscopeError('BAD_REQUEST', 'A report needs at least one run.');
  const paper = input.paper ?? 'a4';
  const verdict = reportVerdict(input);
  const ctx: SectionContext = {
    runs: input.runs,
    labels: runLabels(input.runs),
    chartLabels: input.runs.map((_, i) => (input.runs.length > 1 ? `run ${i + 1}` : '')),
    verdict,
    variantQuality: input.variantQuality ?? null,
  };
  const generated = input.generatedAt === undefined ? new Date() : new Date(input.generatedAt);
  const title = reportTitle(input);
  const runsLine = input.runs.map((r, i) => `${ctx.labels[i] ?? r.id} (run ${r.id})`).join('; ');
  const body = [
    `<header><h1>${esc(title)}</h1><p class="meta">Generated ${esc(generated.toISOString().replace('T', ' ').slice(0, 16))} ` +
      `UTC${input.appVersion ? ` by Inferscope ${esc(input.appVersion)}` : ''} · ${esc(runsLine)}</p></header>`,
    verdictSection(ctx),
    requirementSection(ctx),
    environmentSection(ctx),
    modelSection(ctx),
    methodSection(ctx),
    resultsSection(ctx),
    setupsSection(ctx),
    chartsSection(ctx),
    comparisonSection(ctx),
    placementSection(ctx),
    warningsSection(ctx),
    appendixSection(ctx),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Inferscope">
<title>${esc(title)}</title>
<style>${reportCss(paper)}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function reportCss(paper: Paper): string {
  return `
@page { size: ${PAPER_CSS_SIZE[paper]}; margin: 16mm 14mm 18mm 14mm; }
:root { color-scheme: light; }
* { box-sizing: border-box; }
body {
  font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif;
  font-size: 9.5pt; line-height: 1.4; color: #1b1b1b; margin: 0;
}
header h1 { font-size: 17pt; margin: 0 0 2pt; }
.meta, .note { color: #555; font-size: 8.5pt; }
h2 { font-size: 12.5pt; margin: 16pt 0 6pt; border-bottom: 1px solid #ccc; padding-bottom: 2pt; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 10pt 0 4pt; break-after: avoid; }
section { margin-bottom: 6pt; }
ul { margin: 4pt 0; padding-left: 16pt; }
li { margin: 1.5pt 0; }
.verdict { border: 1.5pt solid #999; border-radius: 4pt; padding: 4pt 10pt 8pt; break-inside: avoid; }
.verdict h2 { border: none; margin-top: 6pt; }
.verdict .summary { font-size: 11pt; font-weight: 600; }
.verdict .basis { font-size: 9pt; color: #444; margin-top: 0; }
.verdict + .verdict { margin-top: 8pt; }
td .small { font-size: 7.5pt; color: #555; }
.status-cpu-suffices { border-color: #1a7f37; }
.status-gpu-needed, .status-gpu-worth-it { border-color: #0969da; }
.status-nothing-meets { border-color: #b00020; }
.status-insufficient-data { border-color: #9a6700; }
.badge {
  display: inline-block; font-size: 8.5pt; font-weight: 600; padding: 1pt 6pt; border-radius: 8pt; background: #eee; vertical-align: middle;
}
.badge.small { font-size: 7pt; padding: 0 4pt; }
.status-cpu-suffices .badge { background: #dafbe1; }
.status-gpu-needed .badge, .status-gpu-worth-it .badge { background: #ddf4ff; }
.status-nothing-meets .badge { background: #ffebe9; }
.status-insufficient-data .badge { background: #fff8c5; }
dl.pairs { display: grid; grid-template-columns: max-content 1fr; gap: 1pt 10pt; margin: 4pt 0; }
dl.pairs dt { color: #555; }
dl.pairs dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; font-size: 8pt; table-layout: auto; }
th, td { border-bottom: 0.5pt solid #ddd; padding: 2pt 4pt; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #f3f3f3; font-weight: 600; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
/* Tables fit the page's width: words wrap; only single figures ("8.19 ms", "$0.10/h") stay on one line. */
table.results td:nth-child(n+4), table.setups td:nth-child(n+4):not(:last-child), table.compare td:nth-child(n+3):nth-child(-n+5),
table.results td:nth-child(3) .small, table.compare td:nth-child(2) .small {
  white-space: nowrap;
}
table.results th, table.results td { padding: 2pt 3pt; }
td.st-meets { color: #1a7f37; font-weight: 600; }
td.st-borderline { color: #9a6700; font-weight: 600; }
td.st-fails { color: #b00020; }
td.st-misses { color: #9a6700; }
td.st-not-eligible { color: #555; }
figure { margin: 8pt 0; break-inside: avoid; }
figcaption { color: #555; font-size: 8pt; }
svg.chart { max-width: 100%; height: auto; display: block; font-family: inherit; }
svg.chart text { fill: #333; }
svg.chart .axis { stroke: #777; }
svg.chart .grid { stroke: #e6e6e6; }
svg.chart .axis-label { fill: #555; }
svg.chart .note { fill: #666; }
.issues li { color: #444; }
.stat-block { break-inside: avoid; }
.stat-row { display: flex; gap: 10pt; align-items: flex-start; }
.stat-row figure { margin: 0; flex: 0 0 auto; width: 86mm; }
.stat-row dl.pairs { font-size: 8pt; flex: 1; }
.appendix { break-before: page; }
/* Print takes the page's width as it is: a body wider than the page would make Chromium shrink every page. */
@media screen { body { padding: 12mm; margin: 0 auto; max-width: 190mm; } }
`;
}
