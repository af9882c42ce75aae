/**
 * Prints the HTML report to PDF with a Chromium found on the machine (playwright-core drives
 * it; it never downloads a browser). Page numbers come from Chromium's footer template.
 */
import type { Browser } from 'playwright-core';
import { InferscopeError } from '../../shared/errors';
import { CHROMIUM_PRINT_ARGS, findChromium } from './chromium';
import { renderReportHtml, type Paper, type ReportInput } from './html';

export interface PdfOptions {
  paper: Paper;
  /** Browser to print with; found with findChromium() when absent. */
  chromiumPath?: string;
  /** Upper bound for launching the browser and printing, ms. */
  timeoutMs?: number;
}

const PLAYWRIGHT_FORMAT: Readonly<Record<Paper, 'A4' | 'Letter'>> = { a4: 'A4', letter: 'Letter' };

/**
 * Same margins as the report's @page rule, so the footer has room whichever wins. Electron's
 * printToPDF takes the same footer template and these margins (in inches there: mm / 25.4).
 */
export const PDF_MARGINS = { top: '16mm', right: '14mm', bottom: '18mm', left: '14mm' } as const;

/** "<title> … page N of M" in the bottom margin (Chromium fills the classed spans). */
export const PDF_FOOTER_TEMPLATE =
  '<div style="font-size:7.5pt;color:#666;width:100%;padding:0 14mm;display:flex;justify-content:space-between;font-family:sans-serif">' +
  '<span class="title"></span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>';

export async function htmlToPdf(html: string, options: PdfOptions): Promise<Uint8Array> {
  const executablePath = findChromium(options.chromiumPath !== undefined ? { explicit: options.chromiumPath } : {});
  const timeout = options.timeoutMs ?? 60_000;
  // Loaded on first use: every other command works where playwright-core is not installed.
  let playwright: { chromium: { launch: (options: object) => Promise<Browser> } };
  try {
    playwright = await import('playwright-core');
  } catch (error) {
    throw new InferscopeError(
      'NOT_SUPPORTED',
      'Printing a PDF needs the playwright-core package, which is not installed; write the report as .html instead.',
      { cause: error },
    );
  }
  let browser: Browser;
  try {
    browser = await playwright.chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_PRINT_ARGS], timeout });
  } catch (error) {
    throw new InferscopeError(
      'CHROMIUM_NOT_FOUND',
      `${executablePath} did not start as a headless browser: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      {
        detail: executablePath,
        cause: error,
      },
    );
  }
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    await page.setContent(html, { waitUntil: 'load' });
    const pdf = await page.pdf({
      format: PLAYWRIGHT_FORMAT[options.paper],
      preferCSSPageSize: true,
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: PDF_FOOTER_TEMPLATE,
      margin: PDF_MARGINS,
      tagged: true,
      outline: true,
    });
    return new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  } finally {
    await browser.close();
  }
}

/** The report as PDF bytes, on A4 or Letter. */
export async function renderReportPdf(input: ReportInput, options: PdfOptions): Promise<Uint8Array> {
  return htmlToPdf(renderReportHtml({ ...input, paper: options.paper }), options);
}
