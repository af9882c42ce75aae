/**
 * The app and its reports name settings as the forms do, never as CLI flags: every string in the UI (src/renderer),
 * in core and shared (whose messages the app shows, the PDF/CSV report included) is checked for a flag such as
 * --max-time. Only the CLI turns setting names into flags (src/cli/words.ts). The allow-list below is for strings
 * that are not words for people: command lines Inferscope runs, CSS custom properties.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/build';

const SCANNED = ['src/renderer', 'src/core', 'src/shared'];
const FLAG = /(?<![\w-])--[a-z]/;

/** [file, what the string starts with, why it may name a flag]. */
const ALLOWED: readonly (readonly [string, RegExp, string])[] = [
  ['src/core/report/chromium.ts', /^--/, 'the command line of the Chromium that prints the PDF'],
  ['src/core/quantize/memory.ts', /^--(no-)?expose-gc$/, "V8's own flags, set in-process"],
  ['src/core/hardware/gpu/nvidia.ts', /^--(query-gpu|format)/, 'the nvidia-smi command line'],
  ['src/core/hardware/gpu/amd.ts', /^--show|^--json$/, 'the rocm-smi command line'],
  ['src/core/store/uploads.ts', /serve --max-upload SIZE/, 'the upload limit is set only when starting `inferscope serve`'],
  [
    'src/core/convert/python/convert-tf.ts',
    /^def tf_original/,
    'the conversion script Inferscope runs (it calls tf2onnx with its own flags)',
  ],
  ['src/renderer/lib/charts/theme.ts', /^--(chart|font)-/, 'CSS custom properties read for the charts'],
  ['src/renderer/lib/charts/accuracy-speed-chart.svelte.ts', /^--ep-$/, 'CSS custom properties read for the charts'],
  ['src/renderer/lib/charts/median-ci-chart.svelte.ts', /^--accent$/, 'CSS custom properties read for the charts'],
  ['src/renderer/lib/charts/capacity-chart.svelte.ts', /^--(ep-|danger$|text-faint$)/, 'CSS custom properties read for the charts'],
];

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'generated') yield* sourceFiles(full);
    } else if (/\.(ts|svelte)$/.test(name) && !name.endsWith('.d.ts')) yield full;
  }
}

/** The text of every string literal and template piece in a script (comments are not strings, so they are skipped). */
function scriptStrings(code: string): string[] {
  const source = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      found.push(node.text);
    }
    node.forEachChild(visit);
  };
  visit(source);
  return found;
}

/** A Svelte file's scripts' strings, then its markup with scripts, styles and comments taken out, line by line. */
function svelteStrings(text: string): string[] {
  const scripts = [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].flatMap((m) => scriptStrings(m[1] ?? ''));
  const markup = text
    .replace(/<script[^>]*>[\s\S]*?<\/script>/g, '')
    .replace(/<style[^>]*>[\s\S]*?<\/style>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/var\(--[\w-]+/g, '');
  return [...scripts, ...markup.split('\n')];
}

function flagged(): string[] {
  const offenders: string[] = [];
  for (const folder of SCANNED) {
    for (const file of sourceFiles(path.join(repoRoot, folder))) {
      const rel = path.relative(repoRoot, file).split(path.sep).join('/');
      const text = readFileSync(file, 'utf8');
      const strings = file.endsWith('.svelte') ? svelteStrings(text) : scriptStrings(text);
      for (const s of strings) {
        if (!FLAG.test(s)) continue;
        if (ALLOWED.some(([where, what]) => where === rel && what.test(s.trim()))) continue;
        offenders.push(`${rel}: ${JSON.stringify(s.trim().slice(0, 120))}`);
      }
    }
  }
  return offenders;
}

describe('no CLI flags outside the CLI', () => {
  it('finds a flag where there is one (the check itself works)', () => {
    expect(scriptStrings("const a = 'measure longer (--max-time).'; // --not-a-string")).toEqual(['measure longer (--max-time).']);
    expect(svelteStrings('<p>Set it with --dim.</p>\n<style>.a { color: var(--accent); }</style>').some((s) => FLAG.test(s))).toBe(true);
    expect(FLAG.test('±0.0 % — 3 runs, 1–2 ms')).toBe(false);
  });

  it('the app, its reports and the messages it shows name no flag', () => {
    expect(flagged()).toEqual([]);
  });

  it('every allow-list entry is still needed', () => {
    for (const [file, what] of ALLOWED) {
      const text = readFileSync(path.join(repoRoot, file), 'utf8');
      const strings = file.endsWith('.svelte') ? svelteStrings(text) : file.endsWith('.css') ? text.split('\n') : scriptStrings(text);
      expect(
        strings.some((s) => FLAG.test(s) && what.test(s.trim())),
        `${file} ${what}`,
      ).toBe(true);
    }
  });
});
