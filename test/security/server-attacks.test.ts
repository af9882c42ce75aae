/**
 * Attacks on the browser host, replayed against a real `inferscope serve`: each ends in a coded
 * refusal, nothing is read or written outside the data folder, and the host keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/build';
import { call, cookieOf, invoke, newHome, openSocket, request, runCli, startServe, type Serve } from './serve';

let serve: Serve;
const homes: string[] = [];

beforeAll(async () => {
  serve = await startServe(['--max-upload', '1MiB']);
  homes.push(serve.home);
});

afterAll(async () => {
  await serve?.stop();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

const dataDir = (s: Serve): string => path.join(s.home, 'data');
const fixtureRun = (): Record<string, unknown> & { id: string; configs: Array<Record<string, unknown>> } =>
  JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/runs/cpu-only.json'), 'utf8'));

describe('WebSocket messages over the limit (item 1)', () => {
  it('closes that client with 1009 PAYLOAD_TOO_LARGE and keeps serving everyone else', async () => {
    const bystander = await openSocket(serve);
    const attacker = await openSocket(serve);
    const closed = new Promise<number>((resolve) => attacker.once('close', (code) => resolve(code)));
    attacker.send('x'.repeat(65 * 1024 * 1024));
    expect(await closed).toBe(1009);
    expect(serve.alive()).toBe(true);
    expect((await invoke(bystander, 'app.info', {})).ok).toBe(true);
    bystander.close();
    expect((await call(serve, 'app.info', {})).ok).toBe(true);
  });

  it('answers a flood of commands in flight with a coded refusal past 64, not unbounded work', async () => {
    const ws = await openSocket(serve);
    const answers = await Promise.all(Array.from({ length: 80 }, () => invoke(ws, 'samples.list', {})));
    ws.close();
    expect(answers.filter((a) => a.ok).length).toBeGreaterThanOrEqual(64);
    for (const refused of answers.filter((a) => !a.ok)) expect(refused.error?.code).toBe('BAD_REQUEST');
  });
});

describe('file names from documents (item 2)', () => {
  it('refuses to import a run whose trace file name leaves its folder', async () => {
    for (const traceFile of ['../../etc/passwd', '/proc/self/environ', '..']) {
      const doc = fixtureRun();
      (doc.configs[0]!.placement as Record<string, unknown>).traceFile = traceFile;
      const answer = await call(serve, 'runs.import', { fileName: 'evil.json', text: JSON.stringify(doc) });
      expect(answer.error?.code, traceFile).toBe('BAD_REQUEST');
      expect(answer.error?.message).toMatch(/plain file name/);
    }
  });

  it('checks the name again on use: a planted document is refused on reading, a link out of the folder is PATH_NOT_ALLOWED', async () => {
    const runsDir = path.join(dataDir(serve), 'runs');
    mkdirSync(runsDir, { recursive: true });
    const plant = (id: string, traceFile: string): string => {
      const doc = { ...fixtureRun(), id };
      (doc.configs[0]!.placement as Record<string, unknown>).traceFile = traceFile;
      writeFileSync(path.join(runsDir, `${id}.json`), JSON.stringify(doc));
      return String(doc.configs[0]!.id);
    };
    for (const [id, name] of [
      ['planted-dots', '../../../../../../etc/passwd'],
      ['planted-abs', '/proc/self/environ'],
    ] as const) {
      const configId = plant(id, name);
      const answer = await call(serve, 'runs.trace', { id, configId });
      expect(answer.error?.code, name).toBe('BAD_REQUEST');
      expect(answer.error?.message).toMatch(/plain file name/);
      expect(JSON.stringify(answer)).not.toContain('root:');
    }
    const configId = plant('planted-link', 'link.trace.json');
    mkdirSync(path.join(runsDir, 'planted-link'), { recursive: true });
    symlinkSync('/etc/passwd', path.join(runsDir, 'planted-link', 'link.trace.json'));
    const linked = await call(serve, 'runs.trace', { id: 'planted-link', configId });
    expect(linked.error?.code).toBe('PATH_NOT_ALLOWED');
    expect(JSON.stringify(linked)).not.toContain('root:');
  });
});

describe('writes to server paths (items 3 and 4)', () => {
  it('never exports a variant to a path the page names', async () => {
    const variant = await call(serve, 'quantize.run', {
      request: { source: { kind: 'sample', name: 'mlp' }, options: { mode: 'fp16' }, jobId: 'sec-export' },
    });
    expect(variant.ok, JSON.stringify(variant.error)).toBe(true);
    const id = (variant.value as { id: string }).id;
    const outside = path.join(serve.home, 'outside.onnx');
    for (const target of [outside, '../../outside.onnx', '/proc/self/x/y', path.join(serve.home, 'new-folder', 'x.onnx')]) {
      const started = Date.now();
      const answer = await call(serve, 'variants.export', { id, path: target });
      expect(answer.error?.code, target).toBe('PATH_NOT_ALLOWED');
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(path.join(serve.home, 'new-folder'))).toBe(false);
    // The page downloads it instead.
    const download = await request(serve, `/api/variants/${id}/model`, { headers: { cookie: cookieOf(serve) } });
    expect(download.status).toBe(200);
    expect(download.headers['content-disposition']).toMatch(/attachment/);
  });

  it('a CLI export to an uncreatable path is an error at once, not a spinning host', async () => {
    const home = newHome();
    homes.push(home);
    const result = await runCli(['quantize', 'sample:mlp', '--mode', 'fp16', '-o', '/proc/self/x/y'], home, 60_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/inferscope: IO_ERROR: .*\/proc\/self\/x/);
  });

  it('inspecting a file that is not a model does not add it to Recent', async () => {
    const before = await call(serve, 'recent.list', {});
    const answer = await call(serve, 'model.inspect', { source: { kind: 'path', path: '/etc/passwd' } });
    expect(answer.error?.code).toBe('MODEL_NOT_ONNX');
    expect(JSON.stringify(answer)).not.toContain('root:');
    expect(await call(serve, 'recent.list', {})).toEqual(before);
  });
});

describe('uploads (item 8)', () => {
  const uploadsDir = (): string => path.join(dataDir(serve), 'uploads');
  const upload = (body: Buffer, chunked = false) =>
    request(serve, '/api/upload?name=model.onnx', {
      method: 'POST',
      headers: { cookie: cookieOf(serve), origin: `http://127.0.0.1:${serve.port}`, 'content-type': 'application/octet-stream' },
      body,
      chunked,
    });

  it('refuses an upload over the limit, declared or streamed, and keeps nothing of it', async () => {
    for (const chunked of [false, true]) {
      const reply = await upload(Buffer.alloc(2 * 1024 * 1024, 1), chunked).catch((error: NodeJS.ErrnoException) => ({
        // The host may answer 413 and close before the client finished sending.
        status: error.code === 'EPIPE' || error.code === 'ECONNRESET' ? 413 : 0,
        body: '{"error":{"code":"PAYLOAD_TOO_LARGE"}}',
        headers: {},
      }));
      expect(reply.status, `chunked: ${chunked}`).toBe(413);
      expect(JSON.parse(reply.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    }
    expect(readdirSync(uploadsDir())).toEqual([]);
  });

  it('removes an uploaded model when it is closed, and from Recent', async () => {
    const sample = await call(serve, 'model.inspect', { source: { kind: 'sample', name: 'mnist-cnn' } });
    expect(sample.ok).toBe(true);
    const samples = path.join(dataDir(serve), 'samples');
    const bytes = readFileSync(
      path.join(
        samples,
        readdirSync(samples).find((n) => n.startsWith('mnist-cnn'))!,
      ),
    );
    const reply = await upload(bytes);
    expect(reply.status).toBe(200);
    const stored = (JSON.parse(reply.body) as { path: string }).path;
    const source = { kind: 'path', path: stored };
    expect((await call(serve, 'model.inspect', { source })).ok).toBe(true);
    expect(JSON.stringify(await call(serve, 'recent.list', {}))).toContain(stored);
    expect(await call(serve, 'model.close', { source })).toEqual({ ok: true, value: { removed: true } });
    expect(existsSync(path.dirname(stored))).toBe(false);
    expect(JSON.stringify(await call(serve, 'recent.list', {}))).not.toContain(stored);
    // A model that is not an upload is left alone.
    expect(await call(serve, 'model.close', { source: { kind: 'path', path: '/etc/passwd' } })).toEqual({
      ok: true,
      value: { removed: false },
    });
  });

  it('removes leftovers older than a day when the host starts', async () => {
    const home = newHome();
    homes.push(home);
    const old = path.join(home, 'data', 'uploads', 'a1b2c3d4e5f6');
    const fresh = path.join(home, 'data', 'uploads', '0123456789ab');
    for (const folder of [old, fresh]) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, 'model.onnx'), 'x');
    }
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    const second = await startServe([], home);
    await second.stop();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});

describe('exposure (items 9 and 10)', () => {
  it('refuses a short access token', async () => {
    const home = newHome();
    homes.push(home);
    for (const token of ['a', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'deadbeef']) {
      const result = await runCli(['serve', '--port', '0', '--token', token], home, 30_000);
      expect(result.code, token).toBe(1);
      expect(result.stderr).toMatch(/BAD_REQUEST: The access token is too weak: it needs at least 128 random bits/);
    }
  });

  it('on 0.0.0.0 warns about plain HTTP and still checks Host and Origin', async () => {
    const wide = await startServe(['--host', '0.0.0.0']);
    homes.push(wide.home);
    try {
      expect(wide.stderr()).toMatch(/warning: listening on 0\.0\.0\.0.*no TLS.*ssh -L/s);
      const cookie = cookieOf(wide);
      expect((await request(wide, '/', { headers: { cookie, host: `evil.example:${wide.port}` } })).status).toBe(403);
      expect((await request(wide, '/', { headers: { cookie, origin: 'http://evil.example' } })).status).toBe(403);
      expect((await request(wide, '/', { headers: { cookie } })).status).toBe(200);
      await expect(openSocket(wide, { origin: 'http://evil.example' })).rejects.toThrow(/401/);
      await expect(openSocket(wide, { host: `evil.example:${wide.port}` })).rejects.toThrow(/401/);
      expect((await invoke(await openSocket(wide), 'app.info', {})).ok).toBe(true);
    } finally {
      await wide.stop();
    }
  });

  it('answers a malformed escape with 400 and a wrong token with the same page as a missing one', async () => {
    const bad = await request(serve, '/%E0%A4%A', { headers: { cookie: cookieOf(serve) } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('BAD_REQUEST');
    const missing = await request(serve, '/');
    const wrong = await request(serve, '/?token=wrong');
    for (const reply of [missing, wrong]) {
      expect(reply.status).toBe(401);
      expect(reply.headers['content-type']).toMatch(/^text\/html/);
    }
    expect(wrong.body).toBe(missing.body);
    expect(serve.alive()).toBe(true);
  });
});

describe('what onnxruntime writes (item 12)', () => {
  it('a benchmark leaves no onnxruntime telemetry database or device id in the home folder', async () => {
    const home = newHome();
    homes.push(home);
    const result = await runCli(
      ['bench', 'sample:mlp', '--ep', 'cpu', '--threads', '1', '--min-time', '0.2s', '--max-time', '0.5s', '--no-profile'],
      home,
      90_000,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(path.join(home, '.cache', 'Microsoft'))).toBe(false);
  });
});
