import { commands, isCommandName, type CommandContext, type Handlers, type Result } from './index';
import { toErrorInfo } from '../errors';

/**
 * Parses a request against the contract, runs the handler and returns a Result.
 * Used by every host so validation and error shaping are identical everywhere.
 * Responses are validated too: a handler that drifts from the contract fails loudly
 * in tests instead of handing the UI data it cannot render.
 */
export async function dispatch(handlers: Handlers, name: unknown, request: unknown, context: CommandContext): Promise<Result<unknown>> {
  if (!isCommandName(name)) {
    return { ok: false, error: { code: 'UNKNOWN_COMMAND', message: `Unknown command: ${String(name)}` } };
  }
  const spec = commands[name];
  const parsed = spec.request.safeParse(request ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'BAD_REQUEST',
        message:
          `Invalid request for ${name}: ` + `${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      },
    };
  }
  try {
    const handler = handlers[name] as (req: unknown, ctx: CommandContext) => Promise<unknown>;
    const value = await handler(parsed.data, context);
    const checked = spec.response.safeParse(value);
    if (!checked.success) {
      return {
        ok: false,
        error: {
          code: 'INTERNAL',
          message: `Response of ${name} does not match the contract: ${checked.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ')}`,
        },
      };
    }
    return { ok: true, value: checked.data };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}
