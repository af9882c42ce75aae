/**
 * The desktop app's host commands: native dialogs, and files written only where the user chose.
 * Dialogs and PDF printing come in as functions, so tests run these handlers with the real
 * services and a fake dialog; dialogs.ts and print-report.ts are the Electron adapters.
 */
import { writeFile } from 'node:fs/promises';
import type { RenderedReport, ReportRequest, Services } from '../core/services';
import type { HostHandlers } from '../shared/contract';
import type { SaveGrants } from './save-grants';

export interface FileFilter {
  name: string;
  extensions: string[];
}

export interface SaveFileOptions {
  title: string;
  defaultPath: string;
  filters?: FileFilter[];
}

export interface DesktopDialogs {
  /** The model file the user picked, or null when they cancelled. */
  openModel(): Promise<string | null>;
  /** Where the user chose to save, or null when they cancelled. */
  saveFile(options: SaveFileOptions): Promise<string | null>;
}

export interface DesktopHostOptions {
  dialogs: DesktopDialogs;
  grants: SaveGrants;
  /** A report as PDF, printed by Electron's own Chromium. */
  printPdf(request: ReportRequest): Promise<RenderedReport>;
}

type HostServices = Pick<Services, 'exportVariant' | 'variantFile' | 'renderReport'>;

const ONNX_FILTER: FileFilter = { name: 'ONNX models', extensions: ['onnx'] };

export function desktopHostHandlers(services: HostServices, { dialogs, grants, printPdf }: DesktopHostOptions): HostHandlers {
  return {
    'dialog.openModel': async () => {
      const file = await dialogs.openModel();
      return file ? { path: file } : null;
    },
    'variants.export': async (request) => {
      // A path from the renderer is honoured only if a save dialog of this session handed it out.
      if (request.path !== undefined) return services.exportVariant(request.id, grants.check(request.path));
      const variant = await services.variantFile(request.id);
      const chosen = await dialogs.saveFile({ title: 'Save the variant', defaultPath: variant.fileName, filters: [ONNX_FILTER] });
      return chosen ? services.exportVariant(request.id, grants.grant(chosen)) : null;
    },
    'report.export': async (request) => {
      // PDFs are printed by Electron's own Chromium; the other formats come from the shared services.
      const report = request.format === 'pdf' ? await printPdf(request) : await services.renderReport(request);
      // The report takes no path from the renderer at all: it is always saved where the dialog says.
      const chosen = await dialogs.saveFile({ title: 'Save the report', defaultPath: report.fileName });
      if (!chosen) return null;
      await writeFile(chosen, report.bytes);
      return { fileName: report.fileName, mimeType: report.mimeType, dataBase64: null, savedTo: chosen };
    },
  };
}
