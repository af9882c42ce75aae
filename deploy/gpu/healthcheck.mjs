// The GPU image's HEALTHCHECK: `inferscope serve` is healthy while it answers on its port and asks for the
// access token (401 to a request without one). Exit 0 when healthy, 1 when not, with one line saying why.
const WILDCARD = new Set(['0.0.0.0', '::', '']);
const TIMEOUT_MS = 4000;

const bound = process.env.INFERSCOPE_HOST ?? '0.0.0.0';
const host = WILDCARD.has(bound) ? '127.0.0.1' : bound;
const port = process.env.INFERSCOPE_PORT || '5178';
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;

try {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
  await response.body?.cancel();
  if (response.status !== 401) {
    console.error(`inferscope: health: ${url} answered ${response.status}, not the 401 of an Inferscope host asking for its token`);
    process.exitCode = 1;
  }
} catch (error) {
  const timedOut = error?.name === 'TimeoutError';
  const reason = timedOut ? `no answer within ${TIMEOUT_MS / 1000} s` : (error?.cause?.code ?? error?.message ?? String(error));
  console.error(`inferscope: health: nothing answers at ${url} (${reason})`);
  process.exitCode = 1;
}
