/** Bringing a PyTorch / TensorFlow model: identify, the Pythons, instructions, convert (checked), cancel, list. */
import type { ConvertService } from '../convert/service';
import type { AreaHandlers } from './context';

type ConvertCommands = 'convert.identify' | 'convert.pythons' | 'convert.instructions' | 'convert.run' | 'convert.cancel' | 'convert.list';

export function convertHandlers(convert: ConvertService): AreaHandlers<ConvertCommands> {
  return {
    'convert.identify': (request) => convert.identify(request.path),
    'convert.pythons': (request) => convert.pythons(request),
    'convert.instructions': (request) => convert.instructions(request),
    'convert.run': (request, context) => convert.run(request.request, (progress) => context.emit('convert.progress', progress)),
    'convert.cancel': async (request) => ({ cancelled: convert.cancel(request.jobId) }),
    'convert.list': () => convert.list(),
  };
}
