/**
 * A model reaches another machine once: by its content's sha256, the machine is asked whether it
 * has it (GET /api/models/<sha256>), and only when it does not is it sent (POST /api/upload?sha256=…),
 * within the machine's own upload limit. The machine keeps what it received by content, so the
 * same model from any path, any app, is sent once.
 */
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { ModelSource } from '../../shared/domain/app';
import { InferscopeError } from '../../shared/errors';
import { sha256File } from '../store/files';
import type { HttpAnswer, RemoteConnection } from './connection';
import { fromRemote, machineError } from './errors';

export interface SentModel {
  /** Where the machine keeps it (the path its plans name). */
  path: string;
  sha256: string;
  /** Bytes sent now: 0 when the machine had it already. */
  sentBytes: number;
}

function answerPath(connection: RemoteConnection, answer: HttpAnswer): string | null {
  let body: { path?: unknown; error?: { code?: unknown; message?: unknown; detail?: unknown } } | null;
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch {
    body = null;
  }
  if (answer.status === 200 && typeof body?.path === 'string') return body.path;
  if (answer.status === 404 && body?.error?.code === 'MODEL_NOT_FOUND') return null;
  if (body?.error) throw fromRemote(connection.endpoint, body.error);
  if (answer.status === 401) throw fromRemote(connection.endpoint, { code: 'UNAUTHORIZED', message: 'it refused the access token.' });
  throw machineError(
    connection.endpoint,
    answer.status === 404 ? 'MACHINE_INCOMPATIBLE' : 'MACHINE_FAILED',
    answer.status === 404
      ? 'it does not take models by content (an Inferscope from before measuring on other machines): update it.'
      : `it answered HTTP ${answer.status} to a model upload.`,
  );
}

/** The machine's path of the model in `file` when it has it already (nothing is sent), else null. */
export async function findModel(connection: RemoteConnection, file: string): Promise<ModelSource | null> {
  const sha256 = await sha256File(file);
  const found = answerPath(
    connection,
    await connection.request('GET', `/api/models/${sha256}?name=${encodeURIComponent(path.basename(file))}`),
  );
  return found === null ? null : { kind: 'path', path: found };
}

/** The machine's path of the model in `file`, sending it only when the machine does not have it yet. */
export async function sendModel(connection: RemoteConnection, file: string, knownSha256?: string): Promise<SentModel> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) throw new InferscopeError('MODEL_NOT_FOUND', `${file} is not a file on this machine.`);
  const sha256 = knownSha256 ?? (await sha256File(file));
  const name = encodeURIComponent(path.basename(file));
  const found = answerPath(connection, await connection.request('GET', `/api/models/${sha256}?name=${name}`));
  if (found !== null) return { path: found, sha256, sentBytes: 0 };
  const answer = await connection.request('POST', `/api/upload?sha256=${sha256}&name=${name}`, {
    stream: createReadStream(file),
    bytes: stat.size,
  });
  const sent = answerPath(connection, answer);
  if (sent === null) throw machineError(connection.endpoint, 'MACHINE_FAILED', 'it lost the model it was just sent.');
  return { path: sent, sha256, sentBytes: stat.size };
}
