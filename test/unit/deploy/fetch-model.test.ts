/**
 * deploy/gpu/fetch-model.mjs, the Job's initContainer, run for real with Node against a real HTTP server on
 * loopback: it keeps a model only when its sha256 matches, and every failure is one coded line with nothing left.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/build';
import { FETCH_MODEL } from './deploy-files';

const model = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251));
const modelSha256 = createHash('sha256').update(model).digest('hex');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'inferscope-fetch-model-'));
const requests: string[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url?.startsWith('/model.onnx')) {
      res.writeHead(200, { 'content-length': model.length });
      res.end(model);
    } else if (req.url === '/stalls.onnx') {
      // Headers and a first piece, then nothing: the download must give up, not wait for ever.
      res.writeHead(200, { 'content-length': model.length });
      res.write(model.subarray(0, 1000));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

function fetchModel(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, FETCH_MODEL), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Files in a folder: nothing half-written (.part) may be left by any outcome. */
const filesIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('fetch-model.mjs', () => {
  it('downloads the model, keeps it when its sha256 matches, and does not download it again', async () => {
    const dir = path.join(scratch, 'ok', 'models');
    const output = path.join(dir, 'model.onnx');
    const first = await fetchModel([`${base}/model.onnx?X-Signature=secret`, modelSha256.toUpperCase(), output]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`${output}: ${model.length} bytes, sha256 ${modelSha256}, downloaded from ${base}/model.onnx.\n`);
    expect(readFileSync(output).equals(model)).toBe(true);
    expect(filesIn(dir)).toEqual(['model.onnx']);

    const before = requests.length;
    const again = await fetchModel([`${base}/model.onnx`, modelSha256, output]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already there');
    expect(requests.length).toBe(before);
  });

  it('keeps nothing when the sha256 differs, and removes another model left under that name', async () => {
    const dir = path.join(scratch, 'mismatch');
    const output = path.join(dir, 'model.onnx');
    const wrong = 'a'.repeat(64);
    const result = await fetchModel([`${base}/model.onnx`, wrong, output]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `inferscope: MODEL_INVALID: the file from ${base}/model.onnx (${model.length} bytes) has sha256 ${modelSha256}, not ${wrong}: ` +
        'nothing was kept. Check the URL and the sha256 the Job names.\n',
    );
    expect(filesIn(dir)).toEqual([]);

    writeFileSync(output, 'an older model');
    const missing = await fetchModel([`${base}/gone.onnx?token=secret`, modelSha256, output]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`inferscope: MODEL_NOT_FOUND: ${base}/gone.onnx answered 404: there is no model at that URL\n`);
    expect(missing.stderr).not.toContain('secret');
    expect(filesIn(dir)).toEqual([]);
  });

  it('gives up on a download that stalls, and on a host that does not answer, leaving nothing', async () => {
    const dir = path.join(scratch, 'stall');
    const stalled = await fetchModel([`${base}/stalls.onnx`, modelSha256, path.join(dir, 'model.onnx')], {
      INFERSCOPE_FETCH_STALL_MS: '300',
    });
    expect(stalled.code).toBe(1);
    expect(stalled.stderr).toBe(`inferscope: IO_ERROR: the download from ${base}/stalls.onnx stalled: nothing arrived for 0.3 s\n`);
    expect(filesIn(dir)).toEqual([]);

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await fetchModel([`http://127.0.0.1:${port}/model.onnx`, modelSha256, path.join(dir, 'model.onnx')]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(`inferscope: IO_ERROR: cannot reach http://127.0.0.1:${port}/model.onnx: ECONNREFUSED\n`);
  });

  it('refuses bad arguments with a usage line', async () => {
    const output = path.join(scratch, 'args', 'model.onnx');
    const cases: [string[], string][] = [
      [[`${base}/model.onnx`, modelSha256], 'expected 3 arguments, got 2: usage: fetch-model.mjs URL SHA256 OUTPUT'],
      [['models/m.onnx', modelSha256, output], '"models/m.onnx" is not a URL'],
      [['ftp://example.com/m.onnx', modelSha256, output], 'ftp: URLs cannot be fetched'],
      [[`${base}/model.onnx`, 'sha256 of the model: sha256sum resnet50.onnx', output], "expected the model's sha256 as 64 hex digits"],
    ];
    for (const [args, message] of cases) {
      const result = await fetchModel(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toContain(`inferscope: BAD_REQUEST: ${message}`);
    }
    expect(existsSync(path.dirname(output))).toBe(false);
  });
});
