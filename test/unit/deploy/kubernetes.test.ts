/**
 * deploy/kubernetes, linted by machine with a YAML parser: the Job measures on a GPU node and keeps the run on a
 * volume, every pod is locked down, and names, paths, uid and image agree with the Dockerfile and the README. Each
 * rule is also shown failing on a broken copy of the manifests.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/build';
import { isGpuProvider, providerProfilerName } from '../../../src/shared/domain/providers';
import { DOCKERFILE, KUBERNETES, packageJson, read, readManifests, readmeImage, readmeSection, type Manifest } from './deploy-files';
import { imageParts, parseDockerfile } from './dockerfile';
import { imageFacts } from './dockerfile-rules';
import { flagValue, manifestProblems, type ManifestContext } from './kubernetes-rules';

const facts = imageFacts(parseDockerfile(read(DOCKERFILE)), repoRoot);
const section = readmeSection();
const context: ManifestContext = {
  image: readmeImage(section),
  uid: Number(facts.user?.split(':')[0]),
  dataFolder: facts.env.INFERSCOPE_HOME ?? '',
  imageFiles: new Set(facts.copiedFromRepo.keys()),
  // Inferscope's table of providers: a name it knows has a profiler name of its own ("cuda" → "CUDAExecutionProvider").
  knownProvider: (name) => providerProfilerName(name) !== name,
};
const manifests = readManifests();
const JOB = 'deploy/kubernetes/bench-job.yaml';

/** The manifests with one file's text changed; the piece must be there, so a stale test fails loudly. */
function broken(file: string, search: string | RegExp, replacement: string): { file: string; manifest: Manifest }[] {
  const original = read(file);
  const changed = original.replace(search, replacement);
  expect(changed, `${file} no longer contains ${String(search)}`).not.toBe(original);
  return KUBERNETES.flatMap((name) =>
    name === file
      ? parseAllDocuments(changed).map((document) => ({ file: name, manifest: document.toJS() as Manifest }))
      : readManifests([name]),
  );
}

const benchArgs = (list = manifests): string[] => {
  const job = list.find(({ manifest }) => manifest.kind === 'Job')?.manifest as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  return job.spec.template.spec.containers[0]?.args ?? [];
};

describe('deploy/kubernetes', () => {
  it('follows every rule', () => {
    expect(manifests.map(({ manifest }) => manifest.kind)).toEqual(['PersistentVolumeClaim', 'Job', 'Pod']);
    expect(manifestProblems(manifests, context)).toEqual([]);
  });

  it('uses the image the README tells to build, tagged with the version in package.json', () => {
    expect(imageParts(context.image).tag).toBe(packageJson.version);
    const named = [...section.matchAll(/registry\.example\.com\/inferscope-gpu:\S+/g)].map((match) => match[0]);
    expect(named.length).toBeGreaterThanOrEqual(3);
    expect(new Set(named)).toEqual(new Set([context.image]));
    expect(manifestProblems(manifests, { ...context, image: 'registry.example.com/inferscope-gpu:9.9.9' })).toHaveLength(3);
  });

  it('runs `inferscope bench` on a GPU with --json on the data volume, with the limits a Job needs', () => {
    const args = benchArgs();
    expect(args[0]).toBe('bench');
    expect((flagValue(args, '--ep') ?? '').split(',').every(isGpuProvider)).toBe(true);
    expect(flagValue(args, '--json')).toBe('/data/$(JOB_NAME).json');

    const problems = (search: string | RegExp, replacement: string, file = JOB) =>
      manifestProblems(broken(file, search, replacement), context);
    expect(problems(/(limits:\n {14}cpu: '8'\n {14}memory: 32Gi\n) {14}nvidia.com\/gpu: 1\n/, '$1')).toEqual([
      expect.stringContaining('no nvidia.com/gpu limit'),
    ]);
    expect(problems('key: nvidia.com/gpu', 'key: example.com/dedicated')).toEqual([expect.stringContaining('no toleration')]);
    expect(problems('- cuda,tensorrt', '- cpu')).toEqual([expect.stringContaining('neither cuda nor tensorrt')]);
    expect(problems('- cuda,tensorrt', '- cuda,tensorrtx')).toEqual([expect.stringContaining('does not know: tensorrtx')]);
    expect(problems("- '1,4'\n            - --json\n            - /data/$(JOB_NAME).json", "- '1,4'")).toEqual([
      expect.stringContaining('does not write the run with --json FILE'),
    ]);
    expect(problems('- /data/$(JOB_NAME).json', '- /tmp/$(JOB_NAME).json')).toEqual([
      expect.stringContaining('is not on a writable volume'),
    ]);
    expect(problems('- /data/$(JOB_NAME).json', '- /data/$(RUN_NAME).json')).toEqual([expect.stringContaining('$(RUN_NAME)')]);
    expect(problems('- /models/model.onnx', '- /models/other.onnx')).toEqual([
      expect.stringContaining('no volume an initContainer writes'),
    ]);
    expect(problems('- /models/model.onnx', '- sample:vgg-small')).toEqual([]);
    expect(problems('ttlSecondsAfterFinished: 86400', 'parallelism: 1')).toEqual([expect.stringContaining('ttlSecondsAfterFinished')]);
    expect(problems('backoffLimit: 1', 'completions: 1')).toEqual([expect.stringContaining('backoffLimit')]);
    expect(problems('activeDeadlineSeconds: 3600', 'suspend: false')).toEqual([expect.stringContaining('activeDeadlineSeconds')]);
    expect(problems('claimName: inferscope-data', 'claimName: runs')).toEqual([expect.stringContaining('claims runs, defined nowhere')]);
  });

  it('runs every container as the image user, read-only, without privileges or capabilities', () => {
    const problems = (search: string | RegExp, replacement: string, file = JOB) =>
      manifestProblems(broken(file, search, replacement), context);
    expect(problems('runAsUser: 10001', 'runAsUser: 0')).toEqual([expect.stringContaining('runAsUser 0')]);
    expect(problems('runAsNonRoot: true', 'runAsNonRoot: false')).toEqual([expect.stringContaining('runAsNonRoot')]);
    expect(problems('type: RuntimeDefault', 'type: Unconfined')).toEqual([expect.stringContaining('seccomp')]);
    expect(problems('allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true')).toEqual([
      expect.stringContaining('fetch-model: allowPrivilegeEscalation'),
    ]);
    expect(problems(/drop: \[ALL\]/g, 'drop: [NET_RAW]')).toHaveLength(2);
    expect(problems(/readOnlyRootFilesystem: true/g, 'readOnlyRootFilesystem: false')).toHaveLength(2);
    expect(problems('            - name: tmp\n              mountPath: /tmp\n', '')).toEqual([
      expect.stringContaining('/tmp is not mounted'),
    ]);
    expect(problems('/opt/inferscope/deploy/fetch-model.mjs', '/opt/inferscope/deploy/fetch.mjs')).toEqual([
      expect.stringContaining('which the image does not have'),
    ]);
    expect(problems('readOnly: true', 'readOnly: false', 'deploy/kubernetes/runs-reader.yaml')).toEqual([]);
    expect(problems('activeDeadlineSeconds: 3600', 'priority: 0', 'deploy/kubernetes/runs-reader.yaml')).toEqual([
      expect.stringContaining('activeDeadlineSeconds'),
    ]);
  });
});
