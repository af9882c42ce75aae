import { Command, InvalidArgumentError, Option } from 'commander';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServices, type Services } from '../core/services';
import { nodeForkLauncher } from '../core/worker-host/launcher';
import { defaultUserDataDir, dataLayout } from '../core/store/paths';
import { startServer } from '../server';
import { headlessHostHandlers } from '../server/host-handlers';
import type { Handlers } from '../shared/contract';
import type { ModelSource } from '../shared/domain/app';
import { parseInputAssignment, type InputValues } from '../shared/domain/input-values';
import type { RunDocument } from '../shared/domain/run';
import { InferscopeError, toErrorInfo } from '../shared/errors';
import { cliWords } from './words';
import { call } from './run';
import { printHardware, printModel, printSamples } from './print';
import { intListOption, parseDuration, parseRange, printRun, runBench, type BenchCliOptions } from './bench';
import { renderTable } from './table';
import { runUpgrade, type UpgradeCliOptions } from './upgrade';
import {
  collectPrices,
  parseElectricity,
  parseLatencyTarget,
  parseMilliseconds,
  parseThroughput,
  runAdvise,
  runCompare,
  type AdviseCliOptions,
  type CompareCliOptions,
} from './advise';
import { runReport, type ReportCliOptions } from './report';
import { benchOnMachines, registerMachines } from './machines';
import {
  addConvertOptions,
  CONVERT_OPTIONS_GROUP,
  convertCommand,
  prepareModel,
  printConvertedList,
  type ConvertCliOptions,
  type ConvertFlags,
} from './convert';
import {
  FAIL_ON_CHOICES,
  QUANTIZE_MODES,
  parseBlockSize,
  parseByteSize,
  parseNameList,
  parsePositive,
  parsePositiveInt,
  parseSize,
  parseTriple,
  quantizeCommand,
  type QuantizeCliOptions,
} from './quantize';
import { formatMs } from '../shared/stats';
import { runTimeLabel } from '../shared/advice/setups';
import { parseRunDocument } from '../core/store/runs';
import { readFile } from 'node:fs/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const packageVersion = (require('../../package.json') as { version: string }).version;

let services: Services | null = null;

async function disposeServices(): Promise<void> {
  const current = services as Services | null;
  services = null;
  await current?.dispose();
}

function getServices(host: 'cli' | 'browser' = 'cli'): Services {
  services ??= createServices({
    host,
    userDataDir: defaultUserDataDir(),
    workerEntry: path.join(here, 'worker.js'),
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  return services;
}

/** A saved run, through the contract. */
const storedRun = (id: string): Promise<RunDocument> => call(handlers(), 'runs.get', { id });

function handlers(host: 'cli' | 'browser' = 'cli'): Handlers {
  const current = getServices(host);
  return { ...current.handlers, ...headlessHostHandlers(current, host) };
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

/** --ep-option EP:KEY=VALUE, repeatable: an execution provider's option (cuda:device_id=1); numbers and true/false are typed. */
function collectEpOption(
  value: string,
  previous: Record<string, Record<string, string | number | boolean>>,
): Record<string, Record<string, string | number | boolean>> {
  const match = /^([A-Za-z0-9_-]+):([^=]+)=(.*)$/.exec(value);
  if (!match?.[1] || !match[2]) throw new InvalidArgumentError(`expected EP:KEY=VALUE (e.g. cuda:device_id=1), got "${value}"`);
  const raw = match[3] ?? '';
  const typed = raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return { ...previous, [match[1]]: { ...previous[match[1]], [match[2]]: typed } };
}

/** --input NAME=VALUE, repeatable: a number, zeros, ones, range, LO..HI or a .npy/.pb file. */
function collectInput(value: string, previous: InputValues): InputValues {
  const parsed = parseInputAssignment(value);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.error);
  return { ...previous, [parsed.name]: parsed.value };
}

const INPUT_HELP = 'data for an input (repeatable): a number, zeros, ones, range, LO..HI or a .npy/.pb file, e.g. --input sr=16000';

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

addConvertOptions(
  program
    .command('inspect')
    .description('explain an ONNX model: inputs, shapes, operators, size, parameters, MACs')
    .argument('<model>', 'path to a .onnx file (or a PyTorch/TensorFlow file: converted first), or sample:NAME (see `inferscope samples`)'),
  CONVERT_OPTIONS_GROUP,
)
  .option('--json', 'print the model information as JSON')
  .option('--dim <name=value>', 'value for a symbolic dimension (repeatable), e.g. --dim batch=8', collectDim, {})
  .option('--input <name=value>', INPUT_HELP, collectInput, {})
  .option(
    '--save-profile',
    "keep these --dim and --input values as the model's input profile (bench, quantize and the app use it; none given clears it)",
  )
  .action(
    async (
      model: string,
      opts: ConvertFlags & { json?: boolean; dim: Record<string, number>; input: InputValues; saveProfile?: boolean },
    ) => {
      const prepared = await prepareModel(handlers(), model, opts, { json: Boolean(opts.json) });
      const info = await call(handlers(), 'model.inspect', {
        source: parseModelArgument(prepared.argument),
        dims: opts.dim,
        values: opts.input,
        ...(opts.saveProfile ? { saveProfile: true } : {}),
      });
      if (opts.json) console.log(JSON.stringify(info, null, 2));
      else console.log(cliWords(printModel(info, { ...(info.profile?.values ?? {}), ...opts.input })));
    },
  );

program
  .command('upgrade')
  .description('upgrade an old model (IR < 4 or opset < 13) to IR 8 / opset 13, checked against the original in onnxruntime')
  .argument('<model>', 'path to a .onnx file')
  .option('-o, --output <file>', "write the upgraded model here (it is always kept in Inferscope's data folder)")
  .option('--json', 'print what was done as JSON')
  .option('--dim <name=value>', 'value for a symbolic dimension of the check inputs (repeatable)', collectDim, {})
  .option('--input <name=value>', INPUT_HELP, collectInput, {})
  .action(async (model: string, opts: UpgradeCliOptions) => {
    console.log(cliWords(await runUpgrade(handlers(), parseModelArgument(model), opts)));
  });

addConvertOptions(
  program
    .command('convert')
    .description('convert a PyTorch or TensorFlow model to ONNX with your Python, checked against the original on the same inputs')
    .argument('<model>', 'a .pt/.pth (TorchScript, whole model or state_dict), Keras .h5/.keras, SavedModel folder or .tflite'),
)
  .option('-o, --output <file>', "also write the ONNX model here (it is always kept in Inferscope's data folder)")
  .option('--force', 'convert again even when this content was converted before')
  .option('--json', 'print the converted model (with its check) as JSON')
  .action(async (model: string, opts: ConvertCliOptions) => {
    await convertCommand(handlers(), model, opts);
  });

program
  .command('converted')
  .description('list the models converted from PyTorch or TensorFlow on this machine, each with its source')
  .option('--json', 'print the list as JSON')
  .action(async (opts: { json?: boolean }) => {
    const list = await call(handlers(), 'convert.list', {});
    console.log(opts.json ? JSON.stringify(list, null, 2) : printConvertedList(list));
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

addConvertOptions(
  program
    .command('bench')
    .description('benchmark a model across execution providers, batch sizes, threads and concurrency')
    .argument('<model>', 'path to a .onnx file (or a PyTorch/TensorFlow file: converted first), or sample:NAME'),
  CONVERT_OPTIONS_GROUP,
)
  .option('--ep <list>', 'execution providers, e.g. cpu,webgpu (default: every provider that is ready here)')
  .option('--variants <ids>', 'also measure these variants of the model (ids from `inferscope quantize`), side by side with it')
  .option('--batch <list>', 'batch sizes, e.g. 1,8 (default 1)', intListOption())
  .option(
    '--threads <list>',
    "intra-op threads, e.g. 1,2 or default (default: onnxruntime's choice, one per physical core)",
    intListOption({ allowDefault: true }),
  )
  .option('--concurrency <list>', 'requests in flight, e.g. 1,4 (default 1)', intListOption())
  .option('--dim <name=value>', 'value for a symbolic dimension (repeatable)', collectDim, {})
  .option('--input <name=value>', INPUT_HELP, collectInput, {})
  .option('--min-time <duration>', 'measure at least this long (default 2s)', parseDuration)
  .option('--max-time <duration>', 'measure at most this long per configuration (default 20s)', parseDuration)
  .option('--min-iterations <n>', 'measure at least this many runs (default 30)', parsePositiveInt)
  .option(
    '--repetitions <n>',
    'measure each configuration in n fresh worker processes (default: 3 when one takes under 5 s, else 1)',
    parsePositiveInt,
  )
  .option('--ep-option <ep:key=value>', "an execution provider's option, e.g. cuda:device_id=1 (repeatable)", collectEpOption, {})
  .option('--ci-target <fraction>', 'stop once the 95 % CI of the median is within ± this share of it (default 0.01)', Number)
  .option('--inputs <dir>', 'a folder of your own input tensors (.npy or ONNX .pb, named after the inputs)')
  .option('--seed <n>', 'seed of the random inputs (default 0)', Number)
  .option('--int-range <min..max>', 'range of random integer inputs, e.g. token ids 0..30521', parseRange)
  .addOption(new Option('--optimization <level>', 'graph optimization level').choices(['disabled', 'basic', 'extended', 'all']))
  .option('--profile', 'profile where every operator ran (default)', true)
  .option('--no-profile', 'skip the profiled placement pass')
  .option(
    '--sweep [pNN=time]',
    'capacity sweep: concurrency 1, 2, 4, … until throughput stops growing or the percentile passes the target (e.g. --sweep p95=50ms)',
    (v: string) => parseLatencyTarget(v),
  )
  .option('--max-concurrency <n>', 'highest concurrency a sweep tries (default 64)', parsePositiveInt)
  .option('--json <file>', 'write the run document (the JSON the app saves) to a file, or - for stdout')
  .option(
    '--on <machines>',
    'measure on these machines, one after another (from `inferscope machines list`; local = this one)',
    parseNameList,
  )
  .action(async (model: string, opts: BenchCliOptions & ConvertFlags) => {
    const prepared = await prepareModel(handlers(), model, opts, { json: opts.json === '-' });
    if (opts.on) return benchOnMachines(handlers(), parseModelArgument(prepared.argument), opts.on, opts);
    const doc = await runBench(handlers(), parseModelArgument(prepared.argument), opts);
    if (opts.json !== '-') console.log(cliWords(printRun(doc)));
    // The run's own error (a full disk) says what stopped it and what was kept; a failed run without one measured nothing.
    const stopped = doc.error;
    if (stopped)
      throw new InferscopeError(stopped.code, stopped.message, stopped.detail !== undefined ? { detail: stopped.detail } : undefined);
    if (doc.status === 'failed')
      throw new InferscopeError(doc.configs.find((c) => c.error)?.error?.code ?? 'INTERNAL', 'No configuration could be measured.');
  });

program
  .command('runs')
  .description('list the saved benchmark runs')
  .option('--json', 'print the list as JSON')
  .action(async (opts: { json?: boolean }) => {
    const list = await call(handlers(), 'runs.list', {});
    if (opts.json) console.log(JSON.stringify(list, null, 2));
    else if (list.length === 0) console.log('No runs yet. Start one with: inferscope bench sample:mnist-cnn');
    else {
      console.log(
        renderTable(
          ['id', 'model', 'measured', 'setup', 'status', 'configs', 'best median', 'machine'],
          list.map((r) => [
            r.id,
            r.model,
            runTimeLabel(r.createdAt),
            r.setup ?? '—',
            r.status,
            `${r.done}/${r.configs}`,
            r.best ? `${formatMs(r.best.medianMs)} (${r.best.configId})` : '—',
            r.machine,
          ]),
        ),
      );
    }
  });

program
  .command('show')
  .description('print a saved run (or a run document file) as a table')
  .argument('<run>', 'a run id from `inferscope runs`, or a run .json file')
  .option('--json', 'print the run document')
  .action(async (run: string, opts: { json?: boolean }) => {
    const doc = run.endsWith('.json')
      ? parseRunDocument(await readFile(run, 'utf8'), run)
      : await call(handlers(), 'runs.get', { id: run });
    console.log(opts.json ? JSON.stringify(doc, null, 2) : cliWords(printRun(doc)));
  });

addConvertOptions(
  program
    .command('quantize')
    .description('make an int8, fp16 or 4-bit variant of a model, check that it loads, and compare its outputs with the original')
    .argument('<model>', 'path to a .onnx file (or a PyTorch/TensorFlow file: converted first), or sample:NAME'),
  CONVERT_OPTIONS_GROUP,
)
  .addOption(new Option('--mode <mode>', 'what to make').choices(QUANTIZE_MODES).makeOptionMandatory())
  .option('-o, --output <file>', "also write the variant here (it is always kept with the model's variants)")
  .option(
    '--calibration <dir>',
    'calibration and evaluation data: sub-folders of .npy/.pb tensors (one per input), or one file per sample for a ' +
      'one-input model; the last 20 % are held out of int8-static calibration and checked on',
  )
  .option('--calibration-images <dir>', 'calibration and evaluation data: .png/.jpg images for an image model')
  .option(
    '--calibration-audio <dir>',
    'calibration and evaluation data: .wav files for a model with one audio input [N, samples], cut into windows of its length',
  )
  .option('--sample-rate <hz>', 'audio: resample to this rate (default 16000)', parsePositiveInt)
  .addOption(new Option('--audio-scale <scale>', 'audio: float in [-1, 1] (default) or int16 units (±32768)').choices(['float', 'int16']))
  .option('--hop <seconds>', 'audio: seconds between window starts (default: one window, no overlap)', parsePositive)
  .option('--mean <r,g,b>', 'images: mean subtracted per channel after scaling, e.g. 0.485,0.456,0.406', parseTriple)
  .option('--std <r,g,b>', 'images: standard deviation per channel, e.g. 0.229,0.224,0.225', parseTriple)
  .addOption(new Option('--layout <layout>', "images: the input's layout (default nchw)").choices(['nchw', 'nhwc']))
  .option('--size <WxH>', "images: resize to this (default: the input's fixed height and width)", parseSize)
  .addOption(new Option('--channel-order <order>', 'images: channel order (default rgb)').choices(['rgb', 'bgr']))
  .option('--scale <n>', 'images: pixels are divided by this first (default 255)', parsePositive)
  .option('--calibration-samples <n>', 'calibrate on at most this many samples (random data: this many, default 16)', parsePositiveInt)
  .addOption(
    new Option('--calibration-method <method>', 'int8-static: how activation ranges are chosen (default minmax)').choices([
      'minmax',
      'percentile',
      'entropy',
    ]),
  )
  .option('--moving-average', "int8-static minmax: average each calibration batch's range instead of taking the extremes")
  .option('--per-channel', 'int8: one scale per output channel of each weight (int8-static: the default)')
  .option('--no-per-channel', 'int8-static: one scale per weight tensor')
  .option('--lstm', 'int8-dynamic: quantize LSTMs too (DynamicQuantizeLSTM, runs on the CPU)')
  .option('--block-size <n>', 'int4/q4f16: weights per block (16, 32, 64, 128, 256; default 32)', parseBlockSize)
  .option('--exclude <nodes>', 'node names to leave as they are (comma-separated, repeatable)', parseNameList, [])
  .option('--include <nodes>', 'transform only these node names (comma-separated, repeatable)', parseNameList, [])
  .option('--evaluation-samples <n>', 'inputs the quality figures compare on (default 8)', parsePositiveInt)
  .option('--layer-report', 'measure per-layer SQNR whatever the model size (done unasked up to 64 MiB)')
  .option('--no-layer-report', 'skip the per-layer SQNR')
  .option('--seed <n>', 'seed of generated inputs when no data is given: synthetic for samples, else random (default 1)', Number)
  .option('--int-range <min..max>', 'range of random integer inputs, e.g. token ids 0..30521', parseRange)
  .option('--dim <name=value>', 'value for a symbolic dimension (repeatable), e.g. --dim sequence=128', collectDim, {})
  .option('--input <name=value>', INPUT_HELP, collectInput, {})
  .option('--json <file>', 'write the report (JSON) to a file, or - for stdout')
  .addOption(new Option('--fail-on <verdict>', 'exit 3 when the quality verdict is this or worse').choices(FAIL_ON_CHOICES))
  .option('--auto-exclude', 'quantize again without the worst layers until the verdict is good (each attempt is kept as a variant)')
  .option('--on <machine>', 'make the variant on this machine (from `inferscope machines list`); it stays there')
  .action(async (model: string, opts: QuantizeCliOptions & ConvertFlags) => {
    const prepared = await prepareModel(handlers(), model, opts, { json: opts.json === '-' });
    await quantizeCommand(handlers(), prepared.argument, opts);
  });

program
  .command('advise')
  .description('do I need a GPU? the cheapest measured setup that meets a latency target and a throughput, with what it rests on')
  .argument(
    '<runs...>',
    'run ids (see `inferscope runs`) or run .json files; several runs (e.g. from different machines) are weighed together',
  )
  .option('--latency <pNN=time>', 'latency target per request at a percentile (p50, p90, p95, p99), e.g. p95=50ms', parseLatencyTarget)
  .option('--throughput <rps>', 'sustained requests per second to serve, e.g. 200', parseThroughput)
  .option('--batch-delay <time>', 'longest a request may wait for a batch to fill, e.g. 10ms (default: no batching)', parseMilliseconds)
  .option(
    '--price <list>',
    'machine prices per hour, e.g. cpu=0.10/h,gpu=1.20/h,gpu:H100=3.00/h (defaults are stated as assumptions)',
    collectPrices,
  )
  .option('--electricity <price>', 'electricity in $ per kWh (default 0.15)', parseElectricity)
  .option('--json', 'print the verdict as JSON')
  .action(async (runs: string[], opts: AdviseCliOptions) => {
    const advice = await runAdvise(runs, opts, storedRun);
    console.log(opts.json ? advice : cliWords(advice));
  });

program
  .command('compare')
  .description('compare runs (the same configuration across runs) or chosen configurations against the first, with 95 % CIs')
  .argument('<runs...>', 'run ids or run .json files; RUN#CONFIG_ID picks one configuration, e.g. my-run#cpu/b1/t0/c1')
  .option('--json', 'print the comparisons as JSON')
  .action(async (runs: string[], opts: CompareCliOptions) => {
    const comparisons = await runCompare(runs, opts, storedRun);
    console.log(opts.json ? comparisons : cliWords(comparisons));
  });

program
  .command('report')
  .description('write a report (PDF, or standalone HTML) with the verdict, charts, method and full statistics')
  .argument('<runs...>', 'run ids or run .json files')
  .requiredOption('-o, --output <file>', 'the report: a .pdf (printed with Chrome/Chromium/Edge) or a .html page')
  .option('--csv <file>', 'also write one CSV row per configuration')
  .addOption(new Option('--paper <size>', 'PDF paper size').choices(['a4', 'letter']).default('a4'))
  .option('--latency <pNN=time>', 'latency target for the verdict, e.g. p95=50ms', parseLatencyTarget)
  .option('--throughput <rps>', 'sustained requests per second for the verdict', parseThroughput)
  .option('--batch-delay <time>', 'longest a request may wait for a batch to fill, e.g. 10ms', parseMilliseconds)
  .option('--price <list>', 'machine prices per hour, e.g. cpu=0.10/h,gpu=1.20/h', collectPrices)
  .option('--electricity <price>', 'electricity in $ per kWh (default 0.15)', parseElectricity)
  .option('--chromium <path>', 'the browser to print with (default: $INFERSCOPE_CHROMIUM, then the usual install locations)')
  .action(async (runs: string[], opts: ReportCliOptions) => {
    console.log(cliWords(await runReport(runs, opts, storedRun)));
  });

registerMachines(program, handlers);

/** The access token `serve` was given, from --token or --token-file (not both); undefined for a random one. */
async function serveToken(opts: { token?: string; tokenFile?: string }): Promise<string | undefined> {
  if (opts.tokenFile === undefined) return opts.token;
  if (opts.token !== undefined) throw new InferscopeError('BAD_REQUEST', 'Give the access token one way: --token or --token-file.');
  const text = await readFile(opts.tokenFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new InferscopeError('BAD_REQUEST', `The token file ${opts.tokenFile} cannot be read (${error.code ?? error.message}).`);
  });
  const token = text.trim();
  if (!token) throw new InferscopeError('BAD_REQUEST', `The token file ${opts.tokenFile} is empty.`);
  return token;
}

program
  .command('serve')
  .description('serve the Inferscope app to a browser (for headless GPU servers); prints a URL with an access token')
  .addOption(new Option('--port <n>', 'port to listen on (0 = any free port)').argParser(parsePort).default(5178))
  .option('--host <address>', 'address to bind; keep 127.0.0.1 and use an SSH tunnel for remote machines', '127.0.0.1')
  .option('--token <token>', 'use this access token (at least 128 random bits, e.g. `openssl rand -hex 16`) instead of a random one')
  .option('--token-file <file>', 'read the access token from this file (kept out of the process list, unlike --token)')
  .option('--allow-host <names>', 'other host names this server is reached by (a DNS name, a proxy), comma-separated', parseNameList)
  .option('--max-upload <size>', 'largest model the page may upload, e.g. 2GiB (default: 4 GiB or the free disk less 1 GiB)', parseByteSize)
  .action(async (opts: { port: number; host: string; token?: string; tokenFile?: string; allowHost?: string[]; maxUpload?: number }) => {
    const userDataDir = defaultUserDataDir();
    const token = await serveToken(opts);
    const running = await startServer({
      handlers: handlers('browser'),
      variantFile: (id) => getServices('browser').variantFile(id),
      upgradedFile: (id) => getServices('browser').upgradedFile(id),
      convertedFile: (id) => getServices('browser').convertedFile(id),
      staticDir: path.join(here, '../renderer'),
      uploadsDir: dataLayout(userDataDir).uploads,
      port: opts.port,
      host: opts.host,
      ...(token !== undefined ? { token } : {}),
      ...(opts.allowHost ? { allowHosts: opts.allowHost } : {}),
      ...(opts.maxUpload !== undefined ? { maxUploadBytes: opts.maxUpload } : {}),
    });
    if (!running.loopback) {
      console.error(
        `warning: listening on ${opts.host}, reachable from other machines, over plain HTTP: the access token and everything ` +
          'the page sends cross the network unencrypted (no TLS). Prefer --host 127.0.0.1 and an SSH tunnel: ' +
          `ssh -L ${running.port}:127.0.0.1:${running.port} this-machine, then open the URL on your own machine.`,
      );
    }
    console.log(`Inferscope is serving at ${running.url}`);
    console.log('Open that URL in a browser (it carries the access token). Press Ctrl+C to stop.');
    const stop = (): void => {
      void running
        .close()
        .then(disposeServices)
        .finally(() => process.exit(0));
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
      throw new InferscopeError(
        'EP_UNAVAILABLE',
        'Installing the CUDA/TensorRT providers failed (see the output above). It needs network access to the NuGet feed, Linux ' +
          'x64, and CUDA 12 + cuDNN 9 on the machine.',
      );
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
  console.error(`inferscope: ${info.code}: ${cliWords(info.message)}`);
  await disposeServices();
  process.exitCode = 1;
}
