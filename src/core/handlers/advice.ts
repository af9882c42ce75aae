/** The answer and its inputs: verdicts, comparisons, and the requirement last used. */
import path from 'node:path';
import { adviseDeployment, compareConfigurations, compareRuns } from '../../shared/advice';
import { RequirementSchema } from '../../shared/domain/advice';
import type { RunDocument } from '../../shared/domain/run';
import { InferscopeError } from '../../shared/errors';
import { readJsonFile, writeFileAtomic } from '../store/atomic';
import type { RunStore } from '../store/runs';
import type { AreaHandlers, CoreContext } from './context';

type AdviceCommands = 'advise.verdict' | 'advise.compare' | 'requirement.get' | 'requirement.save';

export function loadRuns(runs: RunStore, ids: readonly string[]): Promise<RunDocument[]> {
  return Promise.all(ids.map((id) => runs.get(id)));
}

export function adviceHandlers({ runs, app }: CoreContext): AreaHandlers<AdviceCommands> {
  const requirementFile = path.join(app.userDataDir, 'requirement.json');
  return {
    'advise.verdict': async (request) => adviseDeployment(await loadRuns(runs, request.runIds), request.requirement),
    'advise.compare': async (request) => {
      const docs = await loadRuns(runs, [...new Set(request.items.map((i) => i.runId))]);
      const byId = new Map(docs.map((d) => [d.id, d]));
      if (request.items.every((i) => i.configId)) {
        const items = request.items.map((i) => {
          const run = byId.get(i.runId) as RunDocument;
          const config = run.configs.find((c) => c.id === i.configId);
          if (!config) throw new InferscopeError('RUN_NOT_FOUND', `Run ${i.runId} has no configuration ${i.configId}.`);
          return { run, config };
        });
        return [compareConfigurations(items)];
      }
      return compareRuns(request.items.map((i) => byId.get(i.runId) as RunDocument));
    },
    'requirement.get': async () => readJsonFile(requirementFile, (v) => RequirementSchema.parse(v), null),
    'requirement.save': async (request) => {
      await writeFileAtomic(requirementFile, JSON.stringify(request.requirement, null, 2));
      return request.requirement;
    },
  };
}
