export { renderReportHtml, reportTitle, reportVerdict, PAPER_CSS_SIZE, type Paper, type ReportInput } from './html';
export { htmlToPdf, renderReportPdf, PDF_FOOTER_TEMPLATE, PDF_MARGINS, type PdfOptions } from './pdf';
export { chromiumCandidates, findChromium, CHROMIUM_ENV, CHROMIUM_PRINT_ARGS, type FindChromiumOptions } from './chromium';
export { csvField, csvLine, runsToCsv, CSV_COLUMNS } from './csv';
