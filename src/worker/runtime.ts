/** What this worker's ONNX Runtime is: versions for the handshake, EPs this build knows. */
import * as ort from 'onnxruntime-node';

export interface RuntimeBackend {
  name: string;
  bundled: boolean;
}

export function runtimeBackends(): RuntimeBackend[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

export function runtimeVersions(): { node: string; onnxruntime: string } & Record<string, string> {
  const versions: { node: string; onnxruntime: string } & Record<string, string> = {
    node: process.versions.node,
    v8: process.versions.v8,
    // env.versions.node is onnxruntime-node's own version (the binding), not Node's.
    onnxruntime: ort.env.versions.node ?? ort.env.versions.common,
    onnxruntimeCommon: ort.env.versions.common,
  };
  const electron = (process.versions as Record<string, string | undefined>).electron;
  if (electron) versions.electron = electron;
  return versions;
}
