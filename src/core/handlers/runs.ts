/** The saved runs: list, read, delete, import, and the profiling traces beside them. */
import { promises as fs } from 'node:fs';
import { InferscopeError } from '../../shared/errors';
import { summarizeRun } from '../store/runs';
import { realFileUnder, withDeadline } from '../store/safe-fs';
import type { AreaHandlers, CoreContext } from './context';

type RunsCommands = 'runs.list' | 'runs.get' | 'runs.delete' | 'runs.import' | 'runs.trace';

export function runsHandlers({ runs }: CoreContext): AreaHandlers<RunsCommands> {
  return {
    'runs.list': async () => runs.list(),
    'runs.get': async (request) => {
      const doc = await runs.get(request.id);
      return request.samples === false ? { ...doc, configs: doc.configs.map((c) => ({ ...c, samples: [] })) } : doc;
    },
    'runs.delete': async (request) => {
      await runs.delete(request.id);
      return runs.list();
    },
    'runs.import': async (request) => summarizeRun(await runs.import(request.text, request.fileName)),
    'runs.trace': async (request) => {
      const doc = await runs.get(request.id);
      const config = doc.configs.find((c) => c.id === request.configId);
      const traceFile = config?.placement?.traceFile;
      if (!config || !traceFile)
        throw new InferscopeError('RUN_NOT_FOUND', `No profiling trace for ${request.configId} in run ${request.id}.`);
      // The name comes from a document that may have been imported: checked again here, links included.
      const finding = realFileUnder(runs.artifactsDir(doc.id), traceFile, `The trace of ${request.configId}`);
      const file = await withDeadline(finding, 'Finding the trace').catch((error: unknown) => {
        if (error instanceof InferscopeError) throw error;
        throw new InferscopeError('RUN_NOT_FOUND', `The trace file ${traceFile} of run ${request.id} is missing.`);
      });
      const text = await withDeadline(fs.readFile(file, 'utf8'), `Reading ${traceFile}`);
      return { fileName: `${doc.model.name}-${request.configId.replace(/\//g, '_')}.trace.json`, text };
    },
  };
}
