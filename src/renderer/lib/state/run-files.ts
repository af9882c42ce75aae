import type { RunDocument } from '../../../shared/domain/run';
import type { Backend } from '../backend';
import { saveTextFile } from '../files';
import { runFileName } from '../logic/run-results';

/** The run document as the host saved it, for another machine or the CLI to import. */
export function exportRunJson(doc: RunDocument): void {
  saveTextFile(runFileName(doc), `${JSON.stringify(doc, null, 2)}\n`);
}

/** One configuration's profiling trace, for Perfetto or chrome://tracing. */
export async function downloadTrace(backend: Backend, runId: string, configId: string): Promise<void> {
  const trace = await backend.invoke('runs.trace', { id: runId, configId });
  saveTextFile(trace.fileName, trace.text);
}
