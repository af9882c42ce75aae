/** `inferscope upgrade MODEL -o OUT`: a legacy model at IR 8 / opset 13, checked against the original. */
import { readFile } from 'node:fs/promises';
import type { Handlers } from '../shared/contract';
import type { ModelSource } from '../shared/domain/app';
import type { InputValues } from '../shared/domain/input-values';
import { describeUpgrade, type UpgradeReport } from '../shared/domain/upgrade';
import { formatBytes } from '../shared/stats';
import { call, writeOutput } from './run';

export interface UpgradeCliOptions {
  output?: string;
  json?: boolean;
  dim: Record<string, number>;
  input: InputValues;
}

export async function runUpgrade(handlers: Handlers, source: ModelSource, opts: UpgradeCliOptions): Promise<string> {
  const result = await call(handlers, 'model.upgrade', { source, dims: opts.dim, values: opts.input });
  if (opts.output) await writeOutput(opts.output, await readFile(result.path));
  const written = opts.output ?? result.path;
  if (opts.json) return JSON.stringify({ ...result, path: written }, null, 2);
  return printUpgrade(result.report, written, result.sizeBytes);
}

export function printUpgrade(report: UpgradeReport, written: string, sizeBytes: number): string {
  const lines = [`Upgraded: ${describeUpgrade(report)}.`, `Written: ${written} (${formatBytes(sizeBytes)})`];
  if (report.changes.length > 0) {
    lines.push('', 'Converted nodes:');
    for (const c of report.changes.slice(0, 30)) lines.push(`  ${c.node} (${c.op}): ${c.what}`);
    if (report.changes.length > 30) lines.push(`  … and ${report.changes.length - 30} more (--json lists all)`);
  }
  return lines.join('\n');
}
