/**
 * deploy/ against the real `inferscope` (built here): every option the entrypoint, the Job and the README pass
 * exists in the command's own --help, so a renamed flag breaks this test and not a user's Job; and the image's
 * entrypoint and health check run for real, with `sh`, on a real `inferscope serve` on loopback.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/build';
import { DOCKERFILE, ENTRYPOINT, HEALTHCHECK, packageJson, read, readManifests, readmeSection } from './deploy-files';
import { parseDockerfile } from './dockerfile';
import { imageFacts } from './dockerfile-rules';

const cli = path.join(repoRoot, 'bin/inferscope.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'inferscope-deploy-'));
const TOKEN = 'f3a1c29e7b5d4e60a8c1b2d3e4f5a6b7';

beforeAll(async () => {
  // @ts-expect-error -- plain .mjs build script without type declarations
  const { buildNode } = (await import('../../../scripts/build-node.mjs')) as { buildNode: (o: { quiet: boolean }) => Promise<void> };
  await buildNode({ quiet: true });
  if (!existsSync(path.join(repoRoot, 'out/renderer/index.html'))) {
    throw new Error('`inferscope serve` needs the built page (out/renderer): run `npm run build` first');
  }
  // The image puts `inferscope` on PATH as a link to bin/inferscope.js; so does this folder.
  mkdirSync(path.join(scratch, 'bin'));
  symlinkSync(cli, path.join(scratch, 'bin', 'inferscope'));
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const helpOptions = new Map<string, Set<string>>();

/** The long options a command's --help lists (`--ep <list>`, `--no-profile`, …). */
function optionsOf(command: string): Set<string> {
  const known = helpOptions.get(command);
  if (known) return known;
  const result = spawnSync(process.execPath, [cli, ...command.split(' '), '--help'], { encoding: 'utf8', env: childEnv('help') });
  expect(result.status, result.stderr).toBe(0);
  const options = new Set([...result.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((match) => match[1] ?? ''));
  helpOptions.set(command, options);
  return options;
}

function childEnv(name: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = path.join(scratch, name);
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(scratch, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    HOME: home,
    INFERSCOPE_HOME: path.join(home, 'data'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    INFERSCOPE_HOST: '127.0.0.1',
    FORCE_COLOR: '0',
    ...extra,
  };
  for (const variable of ['INFERSCOPE_TOKEN', 'INFERSCOPE_TOKEN_FILE', 'INFERSCOPE_PORT']) if (!(variable in extra)) delete env[variable];
  return env;
}

const flagsIn = (words: readonly string[]): string[] => words.filter((word) => /^--[a-z]/.test(word));

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs the entrypoint with `sh`, as the image does after dumb-init; resolves once it prints its URL. */
function startEntrypoint(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn('sh', [path.join(repoRoot, ENTRYPOINT), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let found = false;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s:\n${output}`)), 30_000);
    void exited.then((code) => reject(new Error(`the entrypoint exited with ${code}:\n${output}`)));
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /serving at (http:\/\/\S+)/.exec(output)?.[1];
      if (!url || found) return;
      found = true;
      // An answer means the code after the printed URL has run, the signal handlers included.
      void fetch(new URL('/', url), { redirect: 'manual' }).then(
        () => {
          clearTimeout(timer);
          resolve({ child, url, output: () => output, exited });
        },
        (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
      );
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

function runEntrypoint(args: string[], env: NodeJS.ProcessEnv): { code: number | null; output: string } {
  const result = spawnSync('sh', [path.join(repoRoot, ENTRYPOINT), ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function healthcheck(env: NodeJS.ProcessEnv): { code: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, HEALTHCHECK)], { env, encoding: 'utf8', timeout: 15_000 });
  return { code: result.status, stderr: result.stderr };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Each start of the CLI loads onnxruntime: seconds each on a busy 2-core machine.
describe('deploy/ against the real inferscope', { timeout: 60_000 }, () => {
  it('passes only options the commands have', () => {
    const serve = optionsOf('serve');
    const entrypointFlags = [...read(ENTRYPOINT).matchAll(/set -- serve (.*)$/gm)].flatMap((m) => flagsIn((m[1] ?? '').split(/\s+/)));
    expect(entrypointFlags).toEqual(expect.arrayContaining(['--host', '--port', '--token']));
    for (const flag of entrypointFlags) expect(serve, `serve ${flag} (deploy/gpu/entrypoint.sh)`).toContain(flag);

    const bench = optionsOf('bench');
    const job = readManifests(['deploy/kubernetes/bench-job.yaml'])[0]?.manifest as {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    const jobArgs = job.spec.template.spec.containers[0]?.args ?? [];
    expect(flagsIn(jobArgs).length).toBeGreaterThanOrEqual(4);
    for (const flag of flagsIn(jobArgs)) expect(bench, `bench ${flag} (deploy/kubernetes/bench-job.yaml)`).toContain(flag);

    // `inferscope COMMAND …` in the README section's text and its command lines, and the commands the Dockerfile runs.
    const section = readmeSection();
    const mentioned = [...section.matchAll(/(?:`|^)inferscope ((?:machines )?[a-z-]+)([^`#\n]*)/gm)].map((m) => ({
      command: m[1] ?? '',
      words: (m[2] ?? '').split(/\s+/),
    }));
    expect(mentioned.map((m) => m.command)).toEqual(
      expect.arrayContaining(['serve', 'bench', 'advise', 'install-gpu-providers', 'machines add']),
    );
    for (const { command, words } of mentioned) {
      const options = optionsOf(command);
      for (const flag of flagsIn(words)) expect(options, `inferscope ${command} ${flag} (README.md)`).toContain(flag);
    }
    expect(read(DOCKERFILE)).toContain('node bin/inferscope.js install-gpu-providers');
  });

  it("agrees with serve's defaults and prints the version the image is labelled with", () => {
    const help = spawnSync(process.execPath, [cli, 'serve', '--help'], { encoding: 'utf8', env: childEnv('help') }).stdout;
    const facts = imageFacts(parseDockerfile(read(DOCKERFILE)), repoRoot);
    expect(help).toMatch(new RegExp(`--port <n>[^\\n]*\\(default: ${facts.env.INFERSCOPE_PORT}\\)`));
    expect(runEntrypoint(['--version'], childEnv('version'))).toEqual({ code: 0, output: `${packageJson.version}\n` });
  });

  it('serves with the token from INFERSCOPE_TOKEN_FILE, passes serve options on, is healthy, and stops on SIGINT', async () => {
    const tokenFile = path.join(scratch, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const env = childEnv('serve-file', { INFERSCOPE_PORT: String(await freePort()), INFERSCOPE_TOKEN_FILE: tokenFile });
    const started = await startEntrypoint(['serve', '--max-upload', '1GiB'], env);
    try {
      expect(started.url).toBe(`http://127.0.0.1:${env.INFERSCOPE_PORT}/?token=${TOKEN}`);
      expect(started.output()).not.toContain('in a container');
      expect(healthcheck(env)).toEqual({ code: 0, stderr: '' });
      const base = `http://127.0.0.1:${env.INFERSCOPE_PORT}`;
      expect((await fetch(`${base}/?token=${'0'.repeat(32)}`, { redirect: 'manual' })).status).toBe(401);
      expect((await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' })).status).toBe(303);
    } finally {
      // What dumb-init sends when Docker or Kubernetes stops the container (SIGTERM rewritten to SIGINT).
      started.child.kill('SIGINT');
    }
    expect(await started.exited).toBe(0);
    const after = healthcheck(env);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain(`inferscope: health: nothing answers at http://127.0.0.1:${env.INFERSCOPE_PORT}/`);
  });

  it('takes the token from INFERSCOPE_TOKEN and keeps it out of the environment of the server it starts', async () => {
    const env = childEnv('serve-env', { INFERSCOPE_PORT: String(await freePort()), INFERSCOPE_TOKEN: TOKEN });
    const started = await startEntrypoint([], env);
    try {
      expect(started.url).toContain(`?token=${TOKEN}`);
      const environ = `/proc/${started.child.pid}/environ`;
      if (existsSync(environ)) {
        const variables = readFileSync(environ, 'utf8').split('\0');
        expect(variables.some((v) => v.startsWith('INFERSCOPE_PORT='))).toBe(true);
        expect(variables.some((v) => v.startsWith('INFERSCOPE_TOKEN='))).toBe(false);
      }
    } finally {
      started.child.kill('SIGINT');
    }
    expect(await started.exited).toBe(0);
  });

  it('refuses a token given twice, a token file it cannot read or that is empty, and a weak token, saying why', () => {
    const empty = path.join(scratch, 'empty-token');
    writeFileSync(empty, '\n');
    const port = { INFERSCOPE_PORT: '1' };
    const cases: [Record<string, string>, number, string][] = [
      [
        { INFERSCOPE_TOKEN_FILE: empty, INFERSCOPE_TOKEN: TOKEN },
        2,
        'inferscope: BAD_REQUEST: both INFERSCOPE_TOKEN_FILE and INFERSCOPE_TOKEN',
      ],
      [{ INFERSCOPE_TOKEN_FILE: path.join(scratch, 'absent') }, 2, `is ${path.join(scratch, 'absent')}, which is not a file`],
      [{ INFERSCOPE_TOKEN_FILE: scratch }, 2, 'which is not a file this container'],
      [{ INFERSCOPE_TOKEN_FILE: empty }, 2, `inferscope: BAD_REQUEST: ${empty} is empty`],
      [{ INFERSCOPE_TOKEN: 'abc' }, 1, 'inferscope: BAD_REQUEST: The access token is too weak'],
    ];
    for (const [extra, code, message] of cases) {
      const result = runEntrypoint([], childEnv('refused', { ...port, ...extra }));
      expect(result.code, JSON.stringify(extra)).toBe(code);
      expect(result.output).toContain(message);
    }
  });

  it('explains the container network when bound elsewhere than loopback, and fails with the reason when it cannot bind', () => {
    // 192.0.2.1 (TEST-NET-1) is never this machine's: nothing listens, and the bind fails at once.
    const result = runEntrypoint([], childEnv('elsewhere', { INFERSCOPE_HOST: '192.0.2.1', INFERSCOPE_PORT: '5178' }));
    expect(result.code).toBe(1);
    expect(result.output).toContain("inferscope: in a container, 192.0.2.1 is the container's own network");
    expect(result.output).toMatch(/inferscope: [A-Z_]+: .*(EADDRNOTAVAIL|address)/i);
  });
});
