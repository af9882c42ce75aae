/**
 * The conversion script, whole: the shared part, PyTorch's and TensorFlow's, and how it is started
 * — by Inferscope with a config file, or by the user by hand with the config written into it (the
 * same code either way, so the by-hand script does exactly what the app would).
 */
import type { Framework, InputSpec, ModelCode, SourceFormat } from '../../../shared/domain/convert';
import { CONVERT_COMMON } from './convert-common';
import { CONVERT_TF } from './convert-tf';
import { CONVERT_TORCH } from './convert-torch';

/** What the script is told; written as JSON for the app's runs, inlined for the by-hand script. */
export interface ScriptConfig {
  framework: Framework;
  format: Exclude<SourceFormat, 'onnx' | 'unknown'>;
  source: string;
  /** The ONNX file to write; its folder holds the check's data too. */
  output: string;
  workdir: string;
  inputs: InputSpec[];
  /** Per input set, per input: the concrete shape fed. */
  sampleShapes: number[][][];
  seed: number;
  opset: number;
  trust: boolean;
  modelCode: ModelCode | null;
  /** Check the converted model with this Python's onnxruntime (the by-hand script, when it has one). */
  checkHere?: boolean;
}

/** Progress, the result and coded errors come on stdout as lines starting with this. */
export const SCRIPT_MARK = '@inferscope ';

const HEADER = `# Converts a PyTorch or TensorFlow model to ONNX and saves what the check needs: the seeded inputs the
# original ran on and its outputs. Written by Inferscope (its docs/conversion.md says how and why).
`;

const body = (): string => [CONVERT_COMMON, CONVERT_TORCH, CONVERT_TF].map((part) => part.trim()).join('\n\n\n');

/** The script Inferscope runs: `python convert.py config.json`. */
export function conversionScript(): string {
  return `${HEADER}\n${body()}\n\n\nif __name__ == "__main__":\n    with open(sys.argv[1]) as f:\n        main(json.load(f))\n`;
}

/** JSON indented by four, with lists of plain values (shapes) kept on one line. */
export function readableJson(value: unknown, depth = 0): string {
  const pad = ' '.repeat(4 * (depth + 1));
  const end = ' '.repeat(4 * depth);
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== 'object'))
      return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    return `[\n${value.map((item) => pad + readableJson(item, depth + 1)).join(',\n')}\n${end}]`;
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value).filter(([, item]) => item !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, item]) => `${pad}${JSON.stringify(key)}: ${readableJson(item, depth + 1)}`).join(',\n')}\n${end}}`;
}

/** The same script with its config written in, for the user to run by hand. */
export function handScript(config: ScriptConfig, about: string): string {
  const json = readableJson(config);
  // A raw triple-quoted string keeps the JSON readable; one path holding ''' falls back to a JSON string literal.
  const literal = json.includes("'''") || json.endsWith('\\') ? JSON.stringify(json) : `r'''${json}'''`;
  return [
    `# ${about}`,
    '# Run it with the Python that has the packages; it writes the ONNX model and, when onnxruntime is',
    '# installed, checks it against the original on the same seeded inputs.',
    HEADER,
    body(),
    '',
    '',
    `CONFIG = json.loads(${literal})`,
    '',
    'if __name__ == "__main__":',
    '    HUMAN = True',
    '    os.makedirs(CONFIG["workdir"], exist_ok=True)',
    '    main(CONFIG)',
    '    print("Wrote %s" % CONFIG["output"])',
    '',
  ].join('\n');
}
