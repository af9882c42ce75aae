// Fetches the model a Kubernetes Job benchmarks (deploy/kubernetes/bench-job.yaml runs it as an initContainer)
// and keeps it only when its sha256 is the one the Job names, so the run measures exactly that model:
//
//   node fetch-model.mjs URL SHA256 OUTPUT
//
// The download goes to OUTPUT.part and is renamed once complete and checked; a file already at OUTPUT with that
// sha256 is kept without downloading. On failure nothing is left at OUTPUT and the exit code is 1, with one line
// `inferscope: CODE: message`. A URL's query (a presigned URL's signature) is never printed.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A download that receives nothing for this long has stalled (the Job's activeDeadlineSeconds bounds the whole). */
const STALL_MS = Number(process.env.INFERSCOPE_FETCH_STALL_MS) || 60_000;

class FetchError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const USAGE = 'usage: fetch-model.mjs URL SHA256 OUTPUT (e.g. https://models.example.com/m.onnx, from sha256sum m.onnx, /models/m.onnx)';

function parseArguments(argv) {
  if (argv.length !== 3) throw new FetchError('BAD_REQUEST', `expected 3 arguments, got ${argv.length}: ${USAGE}`);
  const [rawUrl, rawSha256, output] = argv;
  let url;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new FetchError('BAD_REQUEST', `"${rawUrl}" is not a URL: ${USAGE}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new FetchError('BAD_REQUEST', `${url.protocol} URLs cannot be fetched: give an https:// (or http://) URL`);
  }
  const sha256 = rawSha256.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new FetchError('BAD_REQUEST', `expected the model's sha256 as 64 hex digits (sha256sum MODEL prints it), got "${rawSha256}"`);
  }
  if (!output) throw new FetchError('BAD_REQUEST', `no OUTPUT file: ${USAGE}`);
  return { url, shown: `${url.origin}${url.pathname}`, sha256, output: path.resolve(output) };
}

function ioError(error, what) {
  const code = error?.code === 'ENOSPC' ? 'DISK_FULL' : 'IO_ERROR';
  return new FetchError(code, `${what}: ${error?.message ?? String(error)}`);
}

async function sha256OfFile(file) {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return null;
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return { sha256: hash.digest('hex'), bytes: info.size };
}

async function download({ url, shown, output }) {
  const controller = new AbortController();
  let timer;
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => controller.abort(new FetchError('IO_ERROR', `the download from ${shown} stalled: nothing arrived for ${STALL_MS / 1000} s`)),
      STALL_MS,
    );
  };
  const partial = `${output}.part`;
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    watch();
    const response = await fetch(url, { redirect: 'follow', signal: controller.signal }).catch((error) => {
      throw controller.signal.reason ?? new FetchError('IO_ERROR', `cannot reach ${shown}: ${error?.cause?.code ?? error?.message}`);
    });
    if (response.status === 404 || response.status === 410) {
      throw new FetchError('MODEL_NOT_FOUND', `${shown} answered ${response.status}: there is no model at that URL`);
    }
    if (!response.ok || !response.body) throw new FetchError('IO_ERROR', `${shown} answered ${response.status} ${response.statusText}`);
    await mkdir(path.dirname(output), { recursive: true }).catch((error) => {
      throw ioError(error, `cannot make the folder ${path.dirname(output)}`);
    });
    const tap = new Transform({
      transform(chunk, _encoding, done) {
        watch();
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body), tap, createWriteStream(partial)).catch((error) => {
      throw controller.signal.reason ?? ioError(error, `downloading ${shown} to ${partial}`);
    });
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { partial, bytes, sha256: hash.digest('hex') };
}

async function fetchModel(request) {
  const existing = await sha256OfFile(request.output);
  if (existing?.sha256 === request.sha256) return { bytes: existing.bytes, kept: true };
  // Another model under that name: it must not be benchmarked if the download fails.
  if (existing) await rm(request.output, { force: true });
  const got = await download(request);
  if (got.sha256 !== request.sha256) {
    await rm(got.partial, { force: true });
    throw new FetchError(
      'MODEL_INVALID',
      `the file from ${request.shown} (${got.bytes} bytes) has sha256 ${got.sha256}, not ${request.sha256}: nothing was kept. ` +
        'Check the URL and the sha256 the Job names.',
    );
  }
  await rename(got.partial, request.output).catch((error) => {
    throw ioError(error, `cannot move the download to ${request.output}`);
  });
  return { bytes: got.bytes, kept: false };
}

try {
  const request = parseArguments(process.argv.slice(2));
  const { bytes, kept } = await fetchModel(request);
  const what = kept ? 'already there' : `downloaded from ${request.shown}`;
  console.log(`${request.output}: ${bytes} bytes, sha256 ${request.sha256}, ${what}.`);
} catch (error) {
  const code = error instanceof FetchError ? error.code : 'INTERNAL';
  console.error(`inferscope: ${code}: ${error?.message ?? String(error)}`);
  process.exitCode = 1;
}
