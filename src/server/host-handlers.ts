import type { Services } from '../core/services';
import type { HostHandlers } from '../shared/contract';
import { InferscopeError } from '../shared/errors';

/**
 * Host commands where there is no desktop: no native dialogs.
 *
 * In the browser host the person is at another machine's browser: variants reach them as downloads
 * (GET /api/variants/<id>/model), never as a file the page names on the server. In the CLI the
 * person typed the path on this machine's command line, so it is theirs to write.
 */
export function headlessHostHandlers(services: Services, host: 'browser' | 'cli'): HostHandlers {
  return {
    'dialog.openModel': () =>
      Promise.reject(new InferscopeError('NOT_SUPPORTED', 'There is no file dialog here: upload the model or give its path.')),
    'variants.export': async (request) => {
      if (host === 'browser') {
        throw new InferscopeError(
          'PATH_NOT_ALLOWED',
          'The browser host does not write files on the server for a page: download the variant instead (its Download link).',
        );
      }
      if (!request.path) throw new InferscopeError('BAD_REQUEST', 'Give the path to export the variant to (-o FILE).');
      return services.exportVariant(request.id, request.path, { createFolder: true });
    },
    'report.export': async (request) => {
      const report = await services.renderReport(request);
      return {
        fileName: report.fileName,
        mimeType: report.mimeType,
        dataBase64: Buffer.from(report.bytes).toString('base64'),
        savedTo: null,
      };
    },
  };
}
