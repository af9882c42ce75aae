import { Command, InvalidArgumentError, Option } from 'commander';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServices, type Services } from '../core/services';
import { nodeForkLauncher } from '../core/bench/launcher';
import { defaultUserDataDir, dataLayout } from '../core/store/paths';
import { startServer } from '../server';
import type { Handlers } from '../shared/contract';
import type { ModelSource } from '../shared/domain/app';
import { InferscopeError, toErrorInfo } from '../shared/errors';
import { call } from './run';
import { printHardware, printModel, printSamples } from './print';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const packageVersion = (require('../../package.json') as { version: string }).version;

let services: Services | null = null;

async function disposeServices(): Promise<void> {
  const current = services as Services | null;
  services = null;
  await current?.dispose();
}

function handlers(host: 'cli' | 'browser' = 'cli'): Handlers {
  services ??= createServices({
    host,
    userDataDir: defaultUserDataDir(),
    workerEntry: path.join(here, 'worker.js'),
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  return {
    ...services.handlers,
    'dialog.openModel': () =>
      Promise.reject(new InferscopeError('NOT_SUPPORTED', 'There is no file dialog here: pass the model path instead')),
  };
}

/** `sample:NAME` opens a generated sample; anything else is a path on this machine. */
export function parseModelArgument(value: string): ModelSource {
  if (value.startsWith('sample:')) return { kind: 'sample', name: value.slice('sample:'.length) };
  return { kind: 'path', path: path.resolve(value) };
}

function collectDim(value: string, previous: Record<string, number>): Record<string, number> {
  const match = /^([^=]+)=(\d+)$/.exec(value);
  const size = match ? Number(match[2]) : NaN;
  if (!match?.[1] || !Number.isSafeInteger(size) || size <= 0) {
    throw new InvalidArgumentError(`expected name=value with a positive integer, got "${value}"`);
  }
  return { ...previous, [match[1]]: size };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number 0–65535');
  return port;
}

const program = new Command()
  .name('inferscope')
  .description('Do I need a GPU to deploy this model? Measure your ONNX model on this machine.')
  .version(packageVersion)
  .showHelpAfterError();

program
  .command('hardware')
  .description('detect the CPU, memory, GPUs and which ONNX Runtime execution providers work here')
  .option('--json', 'print the hardware profile as JSON')
  .action(async (opts: { json?: boolean }) => {
    const profile = await call(handlers(), 'hardware.detect', {});
    if (opts.json) console.log(JSON.stringify(profile, null, 2));
    else console.log(printHardware(profile));
  });

program
  .command('inspect')
  .description('explain an ONNX model: inputs, shapes, operators, size, parameters, MACs')
  .argument('<model>', 'path to a .onnx file, or sample:NAME (see `inferscope samples`)')
  .option('--json', 'print the model information as JSON')
  .option('--dim <name=value>', 'value for a symbolic dimension (repeatable), e.g. --dim batch=8', collectDim, {})
  .action(async (model: string, opts: { json?: boolean; dim: Record<string, number> }) => {
    const info = await call(handlers(), 'model.inspect', { source: parseModelArgument(model), dims: opts.dim });
    if (opts.json) console.log(JSON.stringify(info, null, 2));
    else console.log(printModel(info));
  });

program
  .command('samples')
  .description('list the built-in sample models (generated on first use)')
  .option('--json', 'print the list as JSON')
  .action(async (opts: { json?: boolean }) => {
    const samples = await call(handlers(), 'samples.list', {});
    if (opts.json) console.log(JSON.stringify(samples, null, 2));
    else console.log(printSamples(samples));
  });

program
  .command('serve')
  .description('serve the Inferscope app to a browser (for headless GPU servers); prints a URL with an access token')
  .addOption(new Option('--port <n>', 'port to listen on (0 = any free port)').argParser(parsePort).default(5178))
  .option('--host <address>', 'address to bind; keep 127.0.0.1 and use an SSH tunnel for remote machines', '127.0.0.1')
  .option('--token <token>', 'use this access token instead of a random one')
  .action(async (opts: { port: number; host: string; token?: string }) => {
    const userDataDir = defaultUserDataDir();
    const running = await startServer({
      handlers: handlers('browser'),
      staticDir: path.join(here, '../renderer'),
      uploadsDir: dataLayout(userDataDir).uploads,
      port: opts.port,
      host: opts.host,
      ...(opts.token ? { token: opts.token } : {}),
    });
    if (opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1') {
      console.error(`warning: listening on ${opts.host}: anyone who can reach this address and has the token can use this machine's Inferscope.`);
    }
    console.log(`Inferscope is serving at ${running.url}`);
    console.log('Open that URL in a browser (it carries the access token). Press Ctrl+C to stop.');
    const stop = (): void => {
      void running.close().then(disposeServices).finally(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('install-gpu-providers')
  .description('download the CUDA and TensorRT execution providers for onnxruntime-node (Linux x64 with an NVIDIA GPU)')
  .action(async () => {
    const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const script = path.join(packageDir, 'script', 'install.js');
    console.log('Downloading the CUDA 12 execution provider libraries for onnxruntime-node…');
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [script], {
        cwd: packageDir,
        stdio: 'inherit',
        env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
      });
      child.on('exit', (c) => resolve(c ?? 1));
      child.on('error', () => resolve(1));
    });
    if (code !== 0) {
      throw new InferscopeError('EP_UNAVAILABLE', 'Installing the CUDA/TensorRT providers failed (see the output above). It needs network access to the NuGet feed, Linux x64, and CUDA 12 + cuDNN 9 on the machine.');
    }
    console.log('Done. Run `inferscope hardware` to see whether the CUDA and TensorRT providers are ready.');
  });

program.hook('postAction', async (_this, action) => {
  if (action.name() !== 'serve') await disposeServices();
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const info = toErrorInfo(error);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ error: info }, null, 2));
  console.error(`inferscope: ${info.code}: ${info.message}`);
  await disposeServices();
  process.exitCode = 1;
}
