import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import path from 'node:path';

// The import table of the architecture (eslint.config.js) is enforced by eslint: these probes are linted as if they
// lived in each folder, and each forbidden import must be reported.
const eslint = new ESLint({ cwd: path.resolve(__dirname, '../../..') });

async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.resolve(__dirname, '../../..', file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import rules', () => {
  it('refuse node:fs, electron and src/core in the renderer', async () => {
    const messages = await restricted(
      'src/renderer/views/Probe.ts',
      "import { readFileSync } from 'node:fs';\nimport { app } from 'electron';\nimport { createServices } from " +
        "'../../core/services';\nexport const x = [readFileSync, app, createServices];\n",
    );
    expect(messages).toHaveLength(3);
  });

  it('refuse chart.js outside src/renderer/lib/charts, and allow it inside', async () => {
    const source = "import { Chart } from 'chart.js';\nexport const x = Chart;\n";
    expect(await restricted('src/renderer/views/Probe.ts', source)).toHaveLength(1);
    expect(await restricted('src/renderer/lib/charts/probe.ts', source)).toHaveLength(0);
  });

  it('keep src/shared pure and src/core free of electron', async () => {
    expect(await restricted('src/shared/domain/probe.ts', "import os from 'node:os';\nexport const x = os;\n")).toHaveLength(1);
    expect(await restricted('src/core/probe.ts', "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
    expect(await restricted('src/core/probe.ts', "import os from 'node:os';\nexport const x = os;\n")).toHaveLength(0);
  });

  it('allow the renderer its own ./electron backend module', async () => {
    expect(
      await restricted(
        'src/renderer/lib/backend/probe.ts',
        "import { createElectronBackend } from './electron';\nexport const x = createElectronBackend;\n",
      ),
    ).toHaveLength(0);
  });

  it('let the preload import only electron and the contract', async () => {
    expect(
      await restricted(
        'src/preload/probe.ts',
        "import { ipcRenderer } from 'electron';\nimport { COMMAND_NAME_LIST } from '../shared/contract/names';\nexport const x " +
          '= [ipcRenderer, COMMAND_NAME_LIST];\n',
      ),
    ).toHaveLength(0);
    expect(await restricted('src/preload/probe.ts', "import { z } from 'zod';\nexport const x = z;\n")).toHaveLength(1);
    expect(
      await restricted('src/preload/probe.ts', "import { formatMs } from '../shared/stats';\nexport const x = formatMs;\n"),
    ).toHaveLength(1);
    expect(
      await restricted('src/preload/probe.ts', "import { commands } from '../shared/contract';\nexport const x = commands;\n"),
    ).toHaveLength(1);
  });

  it('let the worker import only the parts of core it runs', async () => {
    const allowed =
      "import { BenchConfigSchema } from '../core/bench/measurement';\nimport { quantizeFile } from " +
      "'../core/quantize/file';\nexport const x = [BenchConfigSchema, quantizeFile];\n";
    expect(await restricted('src/worker/probe.ts', allowed)).toHaveLength(0);
    expect(
      await restricted('src/worker/probe.ts', "import { createServices } from '../core/services';\nexport const x = createServices;\n"),
    ).toHaveLength(1);
    expect(
      await restricted('src/worker/probe.ts', "import { RunStore } from '../core/store/runs';\nexport const x = RunStore;\n"),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/worker/probe.ts',
        "import { WorkerSupervisor } from '../core/worker-host/supervisor';\nexport const x = WorkerSupervisor;\n",
      ),
    ).toHaveLength(1);
  });
});
