import type { Services } from '../core/services';
import type { HostHandlers } from '../shared/contract';
import { InferscopeError } from '../shared/errors';

/**
 * Host commands where there is no desktop: no native dialogs. The browser host's page uploads
 * models and downloads variants over HTTP instead; a path, when given, is on this machine.
 */
export function headlessHostHandlers(services: Services): HostHandlers {
  return {
    'dialog.openModel': () => Promise.reject(new InferscopeError('NOT_SUPPORTED', 'There is no file dialog here: upload the model or give its path.')),
    'variants.export': async (request) => {
      if (!request.path) throw new InferscopeError('NOT_SUPPORTED', 'Give a path to export to (in the browser, the variant is downloaded instead).');
      return services.exportVariant(request.id, request.path);
    },
    'report.export': async (request) => {
      const report = await services.renderReport(request);
      return { fileName: report.fileName, mimeType: report.mimeType, dataBase64: Buffer.from(report.bytes).toString('base64'), savedTo: null };
    },
  };
}
