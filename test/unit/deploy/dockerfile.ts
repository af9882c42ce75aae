/**
 * Just enough of Docker's own reading of a Dockerfile and a .dockerignore to lint deploy/gpu: parser directives,
 * comments, line continuations, JSON (exec) and shell forms, `--flag=value` options, stages and ARG defaults in
 * FROM; and the .dockerignore rules (last match wins, `!` re-includes, a pattern matches a path or a parent of it).
 */

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, … */
  keyword: string;
  /** 1-based line where the instruction starts. */
  line: number;
  /** Options before the arguments: `--from=build` → { from: 'build' }; a bare `--link` → { link: '' }. */
  flags: Record<string, string>;
  /** The arguments after the options, continuation lines joined with a space. */
  args: string;
  /** The arguments in exec (JSON array) form, or null in shell form. */
  json: string[] | null;
}

export interface Stage {
  /** `FROM image AS name`, or null. */
  name: string | null;
  /** The base as written (`${CUDA_IMAGE}`) and with the global ARG defaults put in. */
  baseAsWritten: string;
  base: string;
  line: number;
  instructions: Instruction[];
}

export interface Dockerfile {
  directives: Record<string, string>;
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

const FLAGGED = new Set(['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK']);

/** `["a", "b"]` → ['a', 'b']; anything else (shell form) → null. */
function execForm(text: string): string[] | null {
  if (!text.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

function splitFlags(keyword: string, text: string): { flags: Record<string, string>; args: string } {
  const flags: Record<string, string> = {};
  let rest = text;
  if (!FLAGGED.has(keyword)) return { flags, args: rest };
  for (;;) {
    const match = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest);
    if (!match?.[1]) return { flags, args: rest };
    flags[match[1]] = match[2] ?? '';
    rest = rest.slice(match[0].length);
  }
}

/** Logical lines: comments dropped (inside continuations too, as Docker does), `\`-continuations joined. */
function logicalLines(text: string, directives: Record<string, string>): { line: number; text: string }[] {
  const lines = text.split('\n');
  let index = 0;
  for (; index < lines.length; index += 1) {
    const directive = /^#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(lines[index] ?? '');
    if (!directive?.[1] || !directive[2]) break;
    directives[directive[1].toLowerCase()] = directive[2];
  }
  const result: { line: number; text: string }[] = [];
  let current: { line: number; text: string } | null = null;
  for (; index < lines.length; index += 1) {
    const raw = lines[index] ?? '';
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) continue;
    if (current === null && trimmed === '') continue;
    const continues = /\\\s*$/.test(raw);
    const piece = continues ? raw.replace(/\\\s*$/, '') : raw;
    if (current === null) current = { line: index + 1, text: piece.trim() };
    else current.text = `${current.text} ${piece.trim()}`.trim();
    if (!continues) {
      result.push(current);
      current = null;
    }
  }
  if (current) result.push(current);
  return result;
}

/** `${NAME}` and `$NAME` from the given ARG values; an unknown name is left as written. */
export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    return values[name] ?? whole;
  });
}

export function parseDockerfile(text: string): Dockerfile {
  const directives: Record<string, string> = {};
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { line, text: logical } of logicalLines(text, directives)) {
    const match = /^(\S+)\s*(.*)$/.exec(logical);
    if (!match?.[1]) continue;
    const keyword = match[1].toUpperCase();
    const { flags, args } = splitFlags(keyword, match[2] ?? '');
    const instruction: Instruction = { keyword, line, flags, args, json: execForm(args) };
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      const written = from?.[1] ?? args;
      stages.push({ name: from?.[2] ?? null, baseAsWritten: written, base: substitute(written, globalArgs), line, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage) stage.instructions.push(instruction);
    else if (keyword === 'ARG') {
      const arg = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(args);
      if (arg?.[1]) globalArgs[arg[1]] = (arg[2] ?? '').replace(/^"(.*)"$/, '$1');
    }
  }
  return { directives, globalArgs, stages };
}

/** The ARG defaults a stage sees: its own `ARG NAME=value`, and global ones it declares again by name. */
export function stageArgs(file: Dockerfile, stage: Stage): Record<string, string> {
  const values: Record<string, string> = {};
  for (const instruction of stage.instructions) {
    if (instruction.keyword !== 'ARG') continue;
    const arg = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(instruction.args);
    if (!arg?.[1]) continue;
    const inherited = file.globalArgs[arg[1]];
    if (arg[2] !== undefined) values[arg[1]] = arg[2].replace(/^"(.*)"$/, '$1');
    else if (inherited !== undefined) values[arg[1]] = inherited;
  }
  return values;
}

/** `ENV A=1 B=2` (and the old `ENV A 1`) → { A: '1', B: '2' }, over a stage's ENV lines in order. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of stage.instructions) {
    if (instruction.keyword !== 'ENV') continue;
    const pairs = [...instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)];
    if (pairs.length === 0) {
      const old = /^(\S+)\s+(.*)$/.exec(instruction.args);
      if (old?.[1]) env[old[1]] = old[2] ?? '';
    }
    for (const pair of pairs) if (pair[1]) env[pair[1]] = (pair[2] ?? '').replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** A COPY/ADD's sources and destination, in either form. */
export function copyOperands(instruction: Instruction): { sources: string[]; destination: string } {
  const words = instruction.json ?? instruction.args.split(/\s+/).filter(Boolean);
  return { sources: words.slice(0, -1), destination: words.at(-1) ?? '' };
}

/** An image reference's parts: `registry/name:tag@sha256:…`. */
export function imageParts(reference: string): { name: string; tag: string | null; digest: string | null } {
  const [withoutDigest = '', digest] = reference.split('@');
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    name: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    tag: hasTag ? withoutDigest.slice(colon + 1) : null,
    digest: digest ?? null,
  };
}

function patternRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] ?? '';
    if (char === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of folders, `**` at the end anything.
      source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Whether a path (relative to the build context, `/`-separated) reaches the builder under these .dockerignore rules. */
export function dockerignoreIncludes(rules: string, file: string): boolean {
  const patterns = rules
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exclude = !line.startsWith('!');
      const body = (exclude ? line : line.slice(1)).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { exclude, regex: patternRegex(body) };
    });
  const parts = file.split('/');
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let included = true;
  for (const { exclude, regex } of patterns) {
    if (candidates.some((candidate) => regex.test(candidate))) included = !exclude;
  }
  return included;
}
