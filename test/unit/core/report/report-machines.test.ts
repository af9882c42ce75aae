/**
 * One model measured on this machine and on gpu-box: the report shows the machines side by side under the verdict,
 * each machine's own price with the requirement, and each run's machine by name. No browser needed.
 */
import { describe, expect, test } from 'vitest';
import { renderReportHtml } from '../../../../src/core/report';
import { runsToCsv } from '../../../../src/core/report/csv';
import { esc } from '../../../../src/core/report/svg';
import { adviseDeployment } from '../../../../src/shared/advice';
import { gpuBoxRun, laptopRun } from '../../shared/advice/machine-runs';

const requirement = {
  latency: { percentile: 'p95', ms: 20 },
  throughputRps: 200,
  prices: { byMachine: { local: 0.15, 'gpu-box': 0.9 } },
} as const;

describe('a report over two machines', () => {
  const runs = [laptopRun(), gpuBoxRun()];
  const verdict = adviseDeployment(runs, requirement);
  const html = renderReportHtml({ runs, verdict, generatedAt: '2026-11-21T10:00:00Z' });
  const model = verdict.models[0]!;

  test('the verdict names both machines and puts each provider on each machine side by side', () => {
    expect(html).toContain(esc(model.summary));
    const table = /<h3>Machine by machine<\/h3><table class="compact machines">.*?<\/table>/s.exec(html)?.[0] ?? '';
    const rows = table.split('<tr>').slice(2);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('<td>CPU on this machine</td><td>fails</td>');
    expect(rows[2]).toContain('<td>CUDA (NVIDIA L4) on gpu-box</td><td>meets</td>');
    expect(rows[2]).toContain('<td>$1.25</td><td>$0.90/h</td>');
  });

  test('each machine’s price is listed with the requirement, and each run’s machine by name, address and hardware', () => {
    expect(html).toContain('<dt>this machine (each setup there)</dt><dd>$0.15 per hour</dd>');
    expect(html).toContain('<dt>gpu-box (each setup there)</dt><dd>$0.90 per hour</dd>');
    expect(html).toContain('<dd>gpu-box (http://127.0.0.1:5179): Intel Xeon Gold 6338 (16 threads) + NVIDIA L4</dd>');
    expect(html).toMatch(/<h3>encoder · 2026-11-20 09:05 UTC on gpu-box<\/h3>/);
  });

  test('the CSV names the machine of each row', () => {
    const lines = runsToCsv(runs, verdict).split('\r\n');
    expect(lines.filter((l) => l.includes('gpu-box: Intel Xeon Gold 6338 (16 threads) + NVIDIA L4'))).toHaveLength(4);
  });
});
