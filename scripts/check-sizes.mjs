// Size rules of the code base: no function longer than 120 lines, no file longer than 800 lines and
// no line longer than 140 characters, generated code aside. Prints every offender; exits 1 if there is one.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const MAX_FUNCTION_LINES = Number(process.env.MAX_FUNCTION_LINES ?? 120);
const MAX_FILE_LINES = 800;
const MAX_LINE_CHARS = 140;
const GENERATED = [/\/generated\//, /\.d\.ts$/];
const folders = ['src', 'scripts', 'test', 'bin'];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else if (/\.(ts|mts|mjs|js|svelte)$/.test(name)) yield full;
  }
}

const offenders = [];
for (const folder of folders) {
  for (const file of files(path.join(root, folder))) {
    const rel = path.relative(root, file);
    if (GENERATED.some((re) => re.test(rel))) continue;
    let text = readFileSync(file, 'utf8');
    const lines = text.split('\n').length;
    if (lines > MAX_FILE_LINES && !rel.startsWith('test/fixtures/'))
      offenders.push(`${rel}: ${lines} lines (file limit ${MAX_FILE_LINES})`);
    text.split('\n').forEach((line, index) => {
      if ([...line].length > MAX_LINE_CHARS)
        offenders.push(`${rel}:${index + 1}: ${[...line].length} characters (line limit ${MAX_LINE_CHARS})`);
    });
    if (file.endsWith('.svelte')) {
      const script = /<script[^>]*>([\s\S]*?)<\/script>/.exec(text);
      if (!script) continue;
      text = script[1];
    }
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body && !isSuiteBody(node)) {
        const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const length = end - start + 1;
        if (length > MAX_FUNCTION_LINES) {
          const name =
            node.name?.getText?.(source) ??
            (ts.isArrowFunction(node) || ts.isFunctionExpression(node) ? nameOfExpression(node) : '(anonymous)');
          offenders.push(`${rel}:${start + 1}: ${name} is ${length} lines (function limit ${MAX_FUNCTION_LINES})`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}

/** A test suite's body (`describe('…', () => { … })`) holds tests; it is a container, not a function to split. */
function isSuiteBody(node) {
  const call = node.parent;
  return Boolean(call && ts.isCallExpression(call) && /^describe(\.\w+)*$/.test(call.expression.getText()));
}

function nameOfExpression(node) {
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)))
    return parent.name.getText();
  return '(anonymous)';
}

for (const line of offenders) console.log(line);
console.log(offenders.length === 0 ? 'sizes: every file and function within the limits' : `sizes: ${offenders.length} over the limits`);
process.exit(offenders.length === 0 ? 0 : 1);
