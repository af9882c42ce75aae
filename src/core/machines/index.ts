/**
 * The machines a plan can run on: this one (id `local`, implicit) and other machines running
 * `inferscope serve`, saved here by the URL it printed (docs/machines.md). Adding one checks it
 * first; each connection is checked to speak this app's contract before a plan is sent; a model
 * travels once, by content.
 *
 * connection.ts: the protocol · upload.ts: models by content · remote-runs.ts: benchmarks ·
 * remote-jobs.ts: quantization · store.ts / secrets.ts: what is kept here.
 */
import path from 'node:path';
import type { CommandContext } from '../../shared/contract';
import { HostKindSchema, type ModelSource } from '../../shared/domain/app';
import type { HardwareProfile } from '../../shared/domain/hardware';
import {
  LOCAL_MACHINE_ID,
  LOCAL_MACHINE_NAME,
  MachineNameSchema,
  NO_TRANSFERS,
  machineId,
  type AddMachineRequest,
  type Machine,
  type MachineRef,
  type MachineStatus,
} from '../../shared/domain/machine';
import type { BenchPlan } from '../../shared/domain/plan';
import { withProfile } from '../../shared/domain/profile';
import type { RunDocument } from '../../shared/domain/run';
import type { QuantizeRequest } from '../../shared/domain/variant';
import { InferscopeError } from '../../shared/errors';
import { statModelFile } from '../onnx/read';
import { sha256File } from '../store/files';
import type { ProfileStore } from '../store/profiles';
import type { RunStore } from '../store/runs';
import { RemoteConnection } from './connection';
import { attributed, machineError } from './errors';
import { RemoteJobs } from './remote-jobs';
import { RemoteRuns, type RemoteTarget } from './remote-runs';
import { findToken, tokenNote, type SecretStore } from './secrets';
import { MachineStore, type StoredMachine } from './store';
import { sendModel } from './upload';
import { incompatibility, reportedContractVersion } from './version';

export { MemorySecretStore, FileSecretStore, type SecretStore, type TokenCipher } from './secrets';

/** app.info must answer quickly; a first hardware detection there probes every provider, which takes longer. */
const INFO_TIMEOUT_MS = 30_000;
const HARDWARE_TIMEOUT_MS = 180_000;

export interface MachinesOptions {
  /** The data folder: machines.json is kept there. */
  root: string;
  secrets: SecretStore;
  app: { version: string; host: MachineStatus['host'] };
  runs: RunStore;
  profiles: ProfileStore;
  /** This machine's hardware profile (the host's cached detection). */
  hardware: () => Promise<HardwareProfile>;
  env?: NodeJS.ProcessEnv;
}

/** The URL `inferscope serve` printed, as kept (no token) and the token it carried. */
export function parseMachineUrl(request: Pick<AddMachineRequest, 'url' | 'token'>): { url: string; token: string } {
  let url: URL;
  try {
    url = new URL(request.url.trim());
  } catch {
    throw new InferscopeError(
      'BAD_REQUEST',
      `${request.url} is not a URL: paste the one \`inferscope serve\` printed (http://127.0.0.1:PORT/?token=…).`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InferscopeError(
      'BAD_REQUEST',
      `${url.protocol} addresses are not Inferscope hosts: the URL starts with http:// (or https:// behind a proxy).`,
    );
  }
  if (url.username || url.password) throw new InferscopeError('BAD_REQUEST', 'The URL must not carry a user name or password.');
  const token = request.token ?? url.searchParams.get('token');
  if (!token || !/^[\x21-\x7e]{16,512}$/.test(token)) {
    throw new InferscopeError(
      'BAD_REQUEST',
      'The URL carries no access token: paste the whole URL `inferscope serve` printed (it ends in ?token=…), or give the token.',
    );
  }
  return { url: url.origin, token };
}

/** The machine a request names, or null for this machine (no name, `local`, "this machine"). */
export function remoteMachine(idOrName: string | undefined): string | null {
  if (idOrName === undefined) return null;
  const wanted = idOrName.trim().toLowerCase();
  return wanted === LOCAL_MACHINE_ID || wanted === LOCAL_MACHINE_NAME ? null : idOrName;
}

/** A name from the machine's host name (letters, digits, dot, dash, underscore), else from its address. */
function defaultName(hostname: string | undefined, url: string): string {
  const fromHost = (hostname ?? '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return fromHost || new URL(url).host.replace(/[^A-Za-z0-9._-]+/g, '-');
}

export class Machines {
  readonly runs: RemoteRuns;
  readonly jobs = new RemoteJobs();
  private readonly store: MachineStore;
  private readonly connections = new Map<string, { connection: RemoteConnection; verified: Promise<void> | null }>();
  /** Hashes of model files by path, size and time, so a model is read once for its profile and its sending. */
  private readonly hashes = new Map<string, string>();

  constructor(private readonly options: MachinesOptions) {
    this.store = new MachineStore(path.join(options.root, 'machines.json'));
    this.runs = new RemoteRuns(options.runs);
  }

  async list(): Promise<Machine[]> {
    const local: Machine = {
      id: LOCAL_MACHINE_ID,
      name: LOCAL_MACHINE_NAME,
      url: null,
      local: true,
      addedAt: null,
      token: null,
      tokenNote: null,
      status: null,
      transfers: NO_TRANSFERS,
    };
    const saved = await this.store.list();
    return [local, ...(await Promise.all(saved.map((m) => this.describe(m))))];
  }

  /** Checks the machine at the URL and saves it (the same URL again: its token and name are replaced). */
  async add(request: AddMachineRequest): Promise<Machine> {
    const { url, token } = parseMachineUrl(request);
    const saved = await this.store.list();
    const same = saved.find((m) => m.url === url);
    const probeRef: MachineRef = { id: same?.id ?? 'new', name: request.name ?? same?.name ?? new URL(url).host, url };
    const connection = new RemoteConnection({ ...probeRef, token });
    const status = await this.probe(probeRef, connection, true).finally(() => connection.close());
    if (status.error) throw new InferscopeError(status.error.code, status.error.message, detailOf(status.error));
    const named = MachineNameSchema.safeParse(request.name ?? same?.name ?? defaultName(status.hardware?.os.hostname, url));
    const name = named.success ? named.data : new URL(url).host.replace(/[^A-Za-z0-9._-]+/g, '-');
    const others = saved.filter((m) => m.url !== url);
    if (remoteMachine(name) === null) throw new InferscopeError('BAD_REQUEST', `"${name}" is this machine's name: choose another.`);
    if (request.name !== undefined) {
      const taken = others.find((m) => m.id === machineId(name) || m.name.toLowerCase() === name.toLowerCase());
      if (taken)
        throw new InferscopeError(
          'BAD_REQUEST',
          `${name} is already the name of ${taken.url}: choose another name, or remove that machine first.`,
        );
    }
    const id = same?.id ?? uniqueId(machineId(name), others);
    this.assertIdle({ id, name });
    await this.options.secrets.set(id, token);
    this.drop(id);
    const machine: StoredMachine = {
      id,
      name,
      url,
      addedAt: same?.addedAt ?? new Date().toISOString(),
      status: { ...status, id, name },
      transfers: same?.transfers ?? NO_TRANSFERS,
    };
    await this.store.put(machine);
    return this.describe(machine);
  }

  async remove(idOrName: string): Promise<Machine[]> {
    if (remoteMachine(idOrName) === null) throw new InferscopeError('BAD_REQUEST', 'This machine is always listed: it cannot be removed.');
    const machine = await this.stored(idOrName);
    this.assertIdle(machine);
    this.drop(machine.id);
    await this.options.secrets.delete(machine.id);
    await this.store.remove(machine.id);
    return this.list();
  }

  /** Asks the machine what it runs and its hardware; the status is kept with the machine. */
  async check(idOrName: string): Promise<MachineStatus> {
    if (remoteMachine(idOrName) === null) return this.localStatus();
    const machine = await this.stored(idOrName);
    const ref: MachineRef = { id: machine.id, name: machine.name, url: machine.url };
    const pooled = await this.pooled(machine).catch((error: unknown) => attributed(ref, error));
    const status =
      pooled instanceof InferscopeError
        ? failedStatus(ref, pooled, false)
        : await this.probe(ref, pooled.connection, true).then((s) => {
            pooled.verified = s.error ? null : Promise.resolve();
            return s;
          });
    await this.store.setStatus(machine.id, status);
    return status;
  }

  /** Measures the plan on the machine; the run is saved here with it. */
  async startBench(idOrName: string, plan: BenchPlan, context: CommandContext): Promise<RunDocument> {
    const target = await this.target(idOrName);
    let asked = plan;
    if (plan.model.kind === 'path') {
      const profile = await this.localProfile(plan.model.path);
      const merged = withProfile(profile, { dims: plan.dims, values: plan.inputs.values });
      asked = { ...plan, dims: merged.dims, inputs: { ...plan.inputs, values: merged.values } };
    }
    return this.runs.start(target, asked, context);
  }

  async quantize(idOrName: string, request: QuantizeRequest, context: CommandContext) {
    const target = await this.target(idOrName);
    let asked = request;
    if (request.source.kind === 'path') {
      const merged = withProfile(await this.localProfile(request.source.path), { dims: request.dims, values: request.inputValues });
      asked = {
        ...request,
        ...(Object.keys(merged.dims).length > 0 ? { dims: merged.dims } : {}),
        ...(Object.keys(merged.values).length > 0 ? { inputValues: merged.values } : {}),
      };
    }
    return this.jobs.quantize(target, asked, context);
  }

  /** A saved machine with a connection checked to speak this app's contract. */
  async target(idOrName: string): Promise<RemoteTarget> {
    const machine = await this.stored(idOrName);
    const ref: MachineRef = { id: machine.id, name: machine.name, url: machine.url };
    const pooled = await this.pooled(machine);
    pooled.verified ??= this.verify(ref, pooled.connection).catch((error: unknown) => {
      pooled.verified = null;
      throw error;
    });
    await pooled.verified;
    return { ref, connection: pooled.connection, send: (source) => this.send(ref, pooled.connection, source) };
  }

  /** Stops following remote runs (they are cancelled there) and closes every connection. */
  async dispose(): Promise<void> {
    await this.runs.stopAll();
    for (const id of [...this.connections.keys()]) this.drop(id);
  }

  private async describe(m: StoredMachine): Promise<Machine> {
    const found = await findToken(this.options.secrets, m.id, this.options.env);
    const storage = found?.storage ?? 'missing';
    return {
      id: m.id,
      name: m.name,
      url: m.url,
      local: false,
      addedAt: m.addedAt,
      token: storage,
      tokenNote: tokenNote(storage, m.id),
      status: m.status,
      transfers: m.transfers,
    };
  }

  private async stored(idOrName: string): Promise<StoredMachine> {
    const machine = await this.store.find(idOrName);
    if (machine) return machine;
    const names = (await this.store.list()).map((m) => m.name);
    throw new InferscopeError(
      'MACHINE_NOT_FOUND',
      `No machine named ${idOrName} is saved here${names.length > 0 ? ` (saved: ${names.join(', ')})` : ''}. ` +
        'Add it with the URL `inferscope serve` prints there.',
    );
  }

  /** The machine's connection (one per machine, kept open between commands). */
  private async pooled(machine: StoredMachine): Promise<{ connection: RemoteConnection; verified: Promise<void> | null }> {
    const open = this.connections.get(machine.id);
    if (open) return open;
    const found = await findToken(this.options.secrets, machine.id, this.options.env);
    if (!found) throw machineError(machine, 'MACHINE_UNAUTHORIZED', tokenNote('missing', machine.id));
    const pooled = {
      connection: new RemoteConnection({ id: machine.id, name: machine.name, url: machine.url, token: found.token }),
      verified: null,
    };
    pooled.connection.onLost(() => (pooled.verified = null));
    this.connections.set(machine.id, pooled);
    return pooled;
  }

  /** Its connection is about to be replaced or closed: not while it measures for this app. */
  private assertIdle(machine: { id: string; name: string }): void {
    if (this.runs.activeIds().some((id) => this.runs.machineOf(id) === machine.id)) {
      throw new InferscopeError('BAD_REQUEST', `${machine.name} is measuring a run for this app: cancel it first.`);
    }
  }

  private drop(id: string): void {
    this.connections.get(id)?.connection.close();
    this.connections.delete(id);
  }

  private async verify(ref: MachineRef, connection: RemoteConnection): Promise<void> {
    const status = await this.probe(ref, connection, false);
    if (status.error) throw new InferscopeError(status.error.code, status.error.message, detailOf(status.error));
  }

  /** What the machine says it runs (and its hardware, when asked); failures are the status's error, not thrown. */
  private async probe(ref: MachineRef, connection: RemoteConnection, withHardware: boolean): Promise<MachineStatus> {
    try {
      const info = (await connection.invokeRaw('app.info', {}, { timeoutMs: INFO_TIMEOUT_MS })) as Record<string, unknown> | null;
      const appVersion = typeof info?.version === 'string' ? info.version : null;
      const contractVersion = typeof info?.contractVersion === 'number' ? info.contractVersion : null;
      const host = HostKindSchema.safeParse(info?.host).data ?? null;
      const base = { id: ref.id, name: ref.name, reachable: true, appVersion, contractVersion, host, checkedAt: new Date().toISOString() };
      const why = incompatibility(ref.name, { appVersion, contractVersion }, this.options.app.version);
      if (why) {
        const reason = `${ref.name}: ${why}`;
        const detail = `contract ${contractVersion ?? 'none'} there, ${reportedContractVersion()} here`;
        return { ...base, compatible: false, reason, error: { code: 'MACHINE_INCOMPATIBLE', message: reason, detail }, hardware: null };
      }
      const hardware = withHardware ? await connection.invoke('hardware.detect', {}, { timeoutMs: HARDWARE_TIMEOUT_MS }) : null;
      return { ...base, compatible: true, reason: null, error: null, hardware };
    } catch (error) {
      return failedStatus(ref, attributed(ref, error), true);
    }
  }

  private async localStatus(): Promise<MachineStatus> {
    return {
      id: LOCAL_MACHINE_ID,
      name: LOCAL_MACHINE_NAME,
      reachable: true,
      appVersion: this.options.app.version,
      contractVersion: reportedContractVersion(),
      host: this.options.app.host,
      compatible: true,
      reason: null,
      error: null,
      hardware: await this.options.hardware(),
      checkedAt: new Date().toISOString(),
    };
  }

  /** The model source as the machine knows it: a file here is sent there once (by content), and noted. */
  private async send(ref: MachineRef, connection: RemoteConnection, source: ModelSource): Promise<ModelSource> {
    if (source.kind === 'sample') return source;
    await statModelFile(source.path);
    const sent = await sendModel(connection, source.path, await this.sha256(source.path));
    await this.store.addTransfer(ref.id, sent.sentBytes).catch(() => undefined);
    return { kind: 'path', path: sent.path };
  }

  /** The saved input profile of a model file here (a remote run uses the same sizes and values as one here would). */
  private async localProfile(file: string) {
    await statModelFile(file);
    return this.options.profiles.get(await this.sha256(file));
  }

  private async sha256(file: string): Promise<string> {
    const stat = await statModelFile(file);
    const key = `${path.resolve(file)}\0${stat.size}\0${stat.mtimeMs}`;
    const known = this.hashes.get(key);
    if (known) return known;
    const hash = await sha256File(file);
    this.hashes.set(key, hash);
    return hash;
  }
}

function detailOf(error: { detail?: string | undefined }): { detail: string } | undefined {
  return error.detail !== undefined ? { detail: error.detail } : undefined;
}

/** A check that failed: `contacted` when the machine was asked at all (a missing token asks nothing). */
function failedStatus(ref: MachineRef, error: InferscopeError, contacted: boolean): MachineStatus {
  const info = error.toInfo();
  return {
    id: ref.id,
    name: ref.name,
    reachable: contacted && info.code !== 'MACHINE_UNREACHABLE',
    appVersion: null,
    contractVersion: null,
    host: null,
    compatible: false,
    reason: info.message,
    error: info,
    hardware: null,
    checkedAt: new Date().toISOString(),
  };
}

/** `base`, or `base-2`, `base-3`… when another machine has it (`local` is this machine's). */
function uniqueId(base: string, others: readonly StoredMachine[]): string {
  const taken = new Set([LOCAL_MACHINE_ID, ...others.map((m) => m.id)]);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}
