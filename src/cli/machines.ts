/**
 * `inferscope machines add|list|remove|check`, and `bench --on NAME[,NAME]`: measuring on other
 * machines running `inferscope serve`, reached through an SSH tunnel (docs/machines.md). Every
 * command goes through the contract, as the app's Machines view does.
 */
import type { Command } from 'commander';
import type { Handlers } from '../shared/contract';
import type { ModelSource } from '../shared/domain/app';
import { LOCAL_MACHINE_NAME, type Machine, type MachineStatus } from '../shared/domain/machine';
import { remoteMachine } from '../core/machines';
import type { RunDocument } from '../shared/domain/run';
import { InferscopeError, toErrorInfo, type ErrorInfo } from '../shared/errors';
import { formatBytes } from '../shared/stats';
import { printRun, runBench, type BenchCliOptions } from './bench';
import { printHardware } from './print';
import { call, writeOutput } from './run';
import { renderPairs, renderTable } from './table';
import { cliWords } from './words';

/** "cpu, webgpu (software)" — the providers a machine has ready. */
function readyProviders(status: MachineStatus | null): string {
  const ready = status?.hardware?.providers.filter((p) => p.status === 'ready') ?? [];
  return ready.length > 0 ? ready.map((p) => `${p.name}${p.software ? ' (software)' : ''}`).join(', ') : '—';
}

function reachableText(status: MachineStatus | null): string {
  if (!status) return 'not checked';
  if (status.compatible) return 'yes';
  return status.error?.code === 'MACHINE_INCOMPATIBLE' ? 'incompatible' : status.reachable ? 'refused' : 'no';
}

export function printMachines(rows: { machine: Machine; status: MachineStatus | null }[]): string {
  const table = renderTable(
    ['name', 'URL', 'reachable', 'Inferscope', 'CPU', 'GPU', 'providers ready'],
    rows.map(({ machine, status }) => [
      machine.name,
      machine.url ?? '—',
      reachableText(status),
      status?.appVersion ? `${status.appVersion} (contract ${status.contractVersion ?? '?'})` : '—',
      status?.hardware?.cpu.brand ?? '—',
      status?.hardware?.gpus.map((g) => g.name).join(', ') || '—',
      readyProviders(status),
    ]),
  );
  const problems = rows.flatMap(({ machine, status }) =>
    status?.reason ? [`${machine.name}: ${withoutName(machine, status.reason)}`] : [],
  );
  const tokens = rows.flatMap(({ machine }) =>
    machine.tokenNote && machine.token !== 'file' ? [`${machine.name}: ${machine.tokenNote}`] : [],
  );
  return [table, ...(problems.length > 0 ? ['', ...problems] : []), ...(tokens.length > 0 ? ['', ...tokens] : [])].join('\n');
}

function withoutName(machine: Machine, message: string): string {
  return message.startsWith(`${machine.name}: `) ? message.slice(machine.name.length + 2) : message;
}

/** "1 model (1.01 MiB); 2 found there already". */
function transfersText(t: Machine['transfers']): string {
  return `${t.modelsSent} model${t.modelsSent === 1 ? '' : 's'} (${formatBytes(t.bytesSent)}); ${t.modelsFound} found there already`;
}

export function printMachine(machine: Machine, status: MachineStatus): string {
  const lines = [
    renderPairs([
      ['Machine', machine.name],
      ['URL', machine.url ?? '— (this machine)'],
      ['Reachable', reachableText(status)],
      ['Inferscope', status.appVersion ? `${status.appVersion} (contract ${status.contractVersion ?? '?'}, ${status.host ?? '?'})` : '—'],
      ['Access token', machine.tokenNote ?? undefined],
      ['Sent to it', machine.local ? undefined : transfersText(machine.transfers)],
      ['Checked', status.checkedAt],
    ]),
  ];
  if (status.reason) lines.push('', withoutName(machine, status.reason));
  if (status.hardware) lines.push('', printHardware(status.hardware));
  return lines.join('\n');
}

/** Each machine with a fresh check (in parallel: each waits on its own machine). */
async function checkedMachines(handlers: Handlers): Promise<{ machine: Machine; status: MachineStatus }[]> {
  const machines = await call(handlers, 'machines.list', {});
  const statuses = await Promise.all(machines.map((m) => call(handlers, 'machines.check', { id: m.id })));
  return machines.map((machine, i) => ({ machine, status: statuses[i] as MachineStatus }));
}

export function registerMachines(program: Command, handlers: () => Handlers): void {
  const machines = program
    .command('machines')
    .description('other machines to measure on: `inferscope serve` hosts reached through an SSH tunnel (see docs/machines.md)');

  machines
    .command('add')
    .description('check and save a machine by the URL `inferscope serve` printed there (http://127.0.0.1:PORT/?token=…)')
    .argument('<url>', 'the URL serve printed, with its ?token=')
    .option('--name <name>', "what to call it (default: the machine's host name), e.g. gpu-box")
    .option('--json', 'print the saved machine as JSON')
    .action(async (url: string, opts: { name?: string; json?: boolean }) => {
      const machine = await call(handlers(), 'machines.add', { url, ...(opts.name !== undefined ? { name: opts.name } : {}) });
      if (opts.json) console.log(JSON.stringify(machine, null, 2));
      else if (machine.status) console.log(cliWords(`Added ${machine.name}.\n\n${printMachine(machine, machine.status)}`));
    });

  machines
    .command('list')
    .description('list the machines with a fresh check of each: reachable, versions, CPU/GPU, providers ready')
    .option('--no-check', 'show what the last check found instead of asking each machine now')
    .option('--json', 'print the machines and their statuses as JSON')
    .action(async (opts: { check: boolean; json?: boolean }) => {
      const rows = opts.check
        ? await checkedMachines(handlers())
        : (await call(handlers(), 'machines.list', {})).map((machine) => ({ machine, status: machine.status }));
      if (opts.json) console.log(JSON.stringify(rows, null, 2));
      else console.log(cliWords(printMachines(rows)));
    });

  machines
    .command('check')
    .description('ask a machine what it runs and its hardware')
    .argument('<name>', 'a machine from `inferscope machines list` (local = this machine)')
    .option('--json', 'print the status as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const status = await call(handlers(), 'machines.check', { id: name });
      const machine = (await call(handlers(), 'machines.list', {})).find((m) => m.id === status.id);
      if (opts.json) console.log(JSON.stringify(status, null, 2));
      else if (machine) console.log(cliWords(printMachine(machine, status)));
      if (status.error) throw new InferscopeError(status.error.code, status.error.message);
    });

  machines
    .command('remove')
    .description('forget a machine and its access token')
    .argument('<name>', 'a machine from `inferscope machines list`')
    .action(async (name: string) => {
      const left = await call(handlers(), 'machines.remove', { id: name });
      console.log(`Removed ${name}. Machines left: ${left.map((m) => m.name).join(', ')}.`);
    });
}

/**
 * `bench --on a,b`: the same plan on each machine, one after another (each machine's output stays
 * readable, and two "machines" that share hardware never measure at once), each printed under its
 * name. A machine that fails does not stop the others; the command fails at the end, naming it.
 */
export async function benchOnMachines(handlers: Handlers, model: ModelSource, names: string[], opts: BenchCliOptions): Promise<void> {
  const docs: RunDocument[] = [];
  const failures: ErrorInfo[] = [];
  for (const name of names) {
    if (opts.json !== '-') console.log(`\n── ${remoteMachine(name) === null ? LOCAL_MACHINE_NAME : name} ──`);
    try {
      // Each machine's document is written together below, not one over another.
      const doc = await runBench(handlers, model, { ...opts, json: undefined }, { machine: name, notes: opts.json !== '-' });
      docs.push(doc);
      if (opts.json !== '-') console.log(cliWords(printRun(doc)));
      if (doc.error) failures.push(doc.error);
      else if (doc.status === 'failed') {
        failures.push({
          code: doc.configs.find((c) => c.error)?.error?.code ?? 'INTERNAL',
          message: `${name}: no configuration could be measured.`,
        });
      }
    } catch (error) {
      const info = toErrorInfo(error);
      failures.push(info);
      if (opts.json !== '-') console.log(cliWords(`${info.code}: ${info.message}`));
    }
  }
  if (opts.json) {
    const text = JSON.stringify(names.length === 1 ? docs[0] : docs, null, 2) + '\n';
    if (opts.json === '-') process.stdout.write(text);
    else await writeOutput(opts.json, text);
  }
  const first = failures[0];
  if (first) {
    const message =
      failures.length === 1 ? first.message : `${failures.length} machines failed: ${failures.map((f) => f.message).join(' · ')}`;
    throw new InferscopeError(first.code, message);
  }
}
