/** "Copy as Markdown": the tables' cell texts as GitHub-flavoured Markdown. */
import { describe, expect, it } from 'vitest';
import { ciHalfWidthText, spreadNote } from '../../../../../src/renderer/lib/logic/run-results';
import { markdownTable, resultsTable } from '../../../../../src/renderer/lib/logic/table-markdown';
import { measuredRun } from './decide-fixtures';

describe('Markdown tables', () => {
  it('writes a header, an alignment row and one line per row, escaping pipes and folding line breaks', () => {
    const text = markdownTable({
      headers: ['Setup', 'Median'],
      align: ['left', 'right'],
      rows: [['CPU | batch 8', '1.2 ms'], ['GPU\nbatch 1']],
    });
    expect(text).toBe('| Setup | Median |\n| --- | ---: |\n| CPU \\| batch 8 | 1.2 ms |\n| GPU batch 1 |  |\n');
  });

  it('the results table has one row per configuration with the figures the app shows', () => {
    const doc = measuredRun('r1', 'mlp', [
      { ep: 'cpu', batch: 1, medianMs: 2, seed: 1 },
      { ep: 'cpu', batch: 8, concurrency: 2, medianMs: 9, seed: 2 },
      { ep: 'webgpu', batch: 1, medianMs: 1, seed: 3, status: 'failed' },
    ]);
    const table = resultsTable(doc);
    expect(table.rows).toHaveLength(doc.configs.length);
    expect(table.headers).toHaveLength(table.align.length);
    for (const row of table.rows) expect(row).toHaveLength(table.headers.length);
    const lines = markdownTable(table).trim().split('\n');
    expect(lines).toHaveLength(doc.configs.length + 2);
    expect(lines[0]).toBe('| Configuration | Status | Median | 95 % CI of the median | p95 | p99 | Items/s | Session | First run |');
    expect(lines[2]).toMatch(/^\| CPU · batch 1 · .+ · 1 request \| Done \| [\d.]+ ms \| [\d.]+ ms – [\d.]+ ms · ±[\d.]+ % · 1 process \|/);
    expect(lines[3]).toContain('| CPU · batch 8 · ');
    expect(lines[3]).toContain('2 parallel requests');
    expect(lines[4]).toMatch(/^\| WebGPU · batch 1 · .+ \| Failed \| — \| — \|/);
    expect(markdownTable(table)).not.toMatch(/(?<![\w-])--[a-z]/);
  });
});

describe('what a CI beside a spread means', () => {
  it('never rounds a CI to exactly ±0.0 %', () => {
    expect(ciHalfWidthText(0.0002)).toBe('±<0.1 %');
    expect(ciHalfWidthText(0.0123)).toBe('±1.2 %');
  });

  it('explains a narrow CI beside single runs that vary more than their mean, and says nothing otherwise', () => {
    expect(spreadNote({ cv: 13.33, p99: 40, max: 900 })).toMatch(/not how much single runs vary.*CV 1333 %.*p99 40 ms.*slowest 900 ms/);
    expect(spreadNote({ cv: 0.2, p99: 1, max: 2 })).toBeNull();
  });
});
