import envPaths from 'env-paths';
import path from 'node:path';

/**
 * Where Inferscope keeps its data (samples, uploads, recent files, runs).
 * INFERSCOPE_HOME overrides it — tests and CI point it at a temporary folder.
 * The desktop app passes Electron's userData path instead.
 */
export function defaultUserDataDir(): string {
  const override = process.env.INFERSCOPE_HOME;
  if (override) return path.resolve(override);
  return envPaths('Inferscope', { suffix: '' }).data;
}

export interface DataLayout {
  root: string;
  samples: string;
  uploads: string;
  runs: string;
  variants: string;
  /** Legacy models upgraded to opset 13, by the source's sha256. */
  upgraded: string;
  /** PyTorch / TensorFlow models converted to ONNX, by the source's sha256 (each with a sidecar naming its source). */
  converted: string;
  recentFile: string;
  /** Input profiles (symbolic dims and input values) by model sha256. */
  profilesFile: string;
}

export function dataLayout(root: string): DataLayout {
  return {
    root,
    samples: path.join(root, 'samples'),
    uploads: path.join(root, 'uploads'),
    runs: path.join(root, 'runs'),
    variants: path.join(root, 'variants'),
    upgraded: path.join(root, 'upgraded'),
    converted: path.join(root, 'converted'),
    recentFile: path.join(root, 'recent.json'),
    profilesFile: path.join(root, 'profiles.json'),
  };
}
