import { BrowserWindow } from 'electron';
import type { RenderedReport, ReportRequest, Services } from '../core/services';
import { PDF_FOOTER_TEMPLATE, PDF_MARGINS } from '../core/report';

const MM_PER_INCH = 25.4;
const inches = (mm: string): number => Number.parseFloat(mm) / MM_PER_INCH;

/**
 * Prints the report with Electron's own Chromium (webContents.printToPDF): the same HTML the
 * CLI and the browser host print, in an offscreen, sandboxed window with JavaScript off.
 */
export async function printReport(services: Services, request: ReportRequest): Promise<RenderedReport> {
  const page = await services.renderReport({ ...request, format: 'html' });
  const window = new BrowserWindow({
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, offscreen: true },
  });
  try {
    await window.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(page.bytes).toString('base64')}`);
    const pdf = await window.webContents.printToPDF({
      pageSize: request.paper === 'letter' ? 'Letter' : 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: PDF_FOOTER_TEMPLATE,
      margins: {
        top: inches(PDF_MARGINS.top),
        bottom: inches(PDF_MARGINS.bottom),
        left: inches(PDF_MARGINS.left),
        right: inches(PDF_MARGINS.right),
      },
    });
    return { fileName: page.fileName.replace(/\.html$/, '.pdf'), mimeType: 'application/pdf', bytes: new Uint8Array(pdf) };
  } finally {
    window.destroy();
  }
}
