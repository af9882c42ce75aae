/**
 * Command and event names as plain data, for the preload script (which must stay tiny and
 * must not bundle zod). src/shared/contract/index.ts checks at compile time that these lists
 * and the contract's keys are exactly the same.
 */
export const COMMAND_NAME_LIST = [
  'app.info',
  'hardware.detect',
  'samples.list',
  'model.inspect',
  'model.close',
  'model.upgrade',
  'convert.identify',
  'convert.pythons',
  'convert.instructions',
  'convert.run',
  'convert.cancel',
  'convert.list',
  'recent.list',
  'recent.remove',
  'dialog.openModel',
  'bench.start',
  'bench.cancel',
  'bench.active',
  'runs.list',
  'runs.get',
  'runs.delete',
  'runs.import',
  'runs.trace',
  'quantize.modes',
  'quantize.run',
  'quantize.cancel',
  'variants.list',
  'variants.delete',
  'variants.export',
  'machines.list',
  'machines.add',
  'machines.remove',
  'machines.check',
  'advise.verdict',
  'advise.compare',
  'requirement.get',
  'requirement.save',
  'report.export',
] as const;

export const EVENT_NAME_LIST = [
  'hardware.provider',
  'bench.started',
  'bench.progress',
  'bench.config',
  'bench.finished',
  'quantize.progress',
  'convert.progress',
] as const;

/** The single IPC channel prefix used between preload and main. */
export const IPC_INVOKE_PREFIX = 'inferscope:';
export const IPC_EVENT_CHANNEL = 'inferscope:event';
