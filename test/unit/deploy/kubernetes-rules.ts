/**
 * The rules the manifests in deploy/kubernetes are held to, as a list of problems (empty when they follow them all):
 * a Job that measures on a GPU node and keeps the run on a volume, pods locked down, and every name, path and image
 * agreeing with the image the Dockerfile builds and the README tells to build.
 */
import type { Manifest } from './deploy-files';

export interface ManifestContext {
  /** The image reference the README's `docker build -t` names. */
  image: string;
  /** The image's USER uid and data folder (INFERSCOPE_HOME), from the Dockerfile. */
  uid: number;
  dataFolder: string;
  /** Paths inside the image of the files copied from the repository (deploy/gpu/*). */
  imageFiles: ReadonlySet<string>;
  /** Whether Inferscope knows an execution provider's name (`--ep`). */
  knownProvider: (name: string) => boolean;
}

type Data = Record<string, unknown>;

const asData = (value: unknown): Data => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Data) : {});
const asList = (value: unknown): Data[] => (Array.isArray(value) ? value.map(asData) : []);
const asStrings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const at = (value: unknown, dotted: string): unknown => dotted.split('.').reduce<unknown>((node, key) => asData(node)[key], value);

function containersOf(podSpec: Data): Data[] {
  return [...asList(podSpec.initContainers), ...asList(podSpec.containers)];
}

/** The value after a flag in an argument list (`--json FILE`), or null. */
export function flagValue(args: readonly string[], flag: string): string | null {
  const index = args.indexOf(flag);
  return index >= 0 ? (args[index + 1] ?? null) : null;
}

/** The mount a path lies on (the longest mountPath that holds it), or null. */
function mountFor(container: Data, file: string): Data | null {
  const mounts = asList(container.volumeMounts).filter((mount) => {
    const mountPath = String(mount.mountPath ?? '');
    return file === mountPath || file.startsWith(`${mountPath.replace(/\/$/, '')}/`);
  });
  return mounts.sort((a, b) => String(b.mountPath).length - String(a.mountPath).length)[0] ?? null;
}

function podProblems(where: string, podSpec: Data, context: ManifestContext, claims: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const pod = asData(podSpec.securityContext);
  if (pod.runAsNonRoot !== true) problems.push(`${where}: securityContext.runAsNonRoot is not true`);
  if (pod.runAsUser !== context.uid) problems.push(`${where}: runAsUser ${String(pod.runAsUser)} is not the image's user ${context.uid}`);
  if (at(pod, 'seccompProfile.type') !== 'RuntimeDefault') problems.push(`${where}: no RuntimeDefault seccomp profile`);
  const volumes = new Map(asList(podSpec.volumes).map((volume) => [String(volume.name), volume]));
  for (const volume of volumes.values()) {
    const claim = at(volume, 'persistentVolumeClaim.claimName');
    if (claim !== undefined && !claims.has(String(claim)))
      problems.push(`${where}: volume ${String(volume.name)} claims ${String(claim)}, defined nowhere here`);
  }
  for (const container of containersOf(podSpec)) {
    const name = `${where}/${String(container.name)}`;
    const security = asData(container.securityContext);
    if (security.allowPrivilegeEscalation !== false) problems.push(`${name}: allowPrivilegeEscalation is not false`);
    if (security.readOnlyRootFilesystem !== true) problems.push(`${name}: readOnlyRootFilesystem is not true`);
    if (!asStrings(at(security, 'capabilities.drop')).includes('ALL')) problems.push(`${name}: capabilities do not drop ALL`);
    if (container.image !== context.image)
      problems.push(`${name}: image ${String(container.image)} is not ${context.image}, the one the README builds`);
    if (at(container, 'resources.limits.memory') === undefined) problems.push(`${name}: no memory limit`);
    for (const mount of asList(container.volumeMounts)) {
      if (!volumes.has(String(mount.name))) problems.push(`${name}: mounts ${String(mount.name)}, which is not a volume of the pod`);
    }
    const env = new Set(asList(container.env).map((variable) => String(variable.name)));
    for (const word of [...asStrings(container.command), ...asStrings(container.args)]) {
      for (const reference of word.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
        if (!env.has(reference[1] ?? '')) problems.push(`${name}: $(${reference[1]}) is not in the container's env`);
      }
    }
    const script = asStrings(container.command).find((word) => word.startsWith('/opt/'));
    if (script && !context.imageFiles.has(script)) problems.push(`${name}: runs ${script}, which the image does not have`);
  }
  return problems;
}

function benchProblems(job: Data, context: ManifestContext): string[] {
  const podSpec = asData(at(job, 'spec.template.spec'));
  const bench = asList(podSpec.containers).find((container) => asStrings(container.args)[0] === 'bench' && !container.command);
  if (!bench) return ['the Job has no container whose args run the image entrypoint with `bench`'];
  const problems: string[] = [];
  const args = asStrings(bench.args);
  // Not through at(): the resource's name has dots of its own.
  const gpus = Number(asData(at(bench, 'resources.limits'))['nvidia.com/gpu'] ?? 0);
  if (!(gpus >= 1)) problems.push('the bench container has no nvidia.com/gpu limit');
  if (!asList(podSpec.tolerations).some((toleration) => toleration.key === 'nvidia.com/gpu'))
    problems.push('no toleration for nvidia.com/gpu');
  if (!podSpec.nodeSelector && !podSpec.affinity) problems.push('no nodeSelector or affinity choosing the GPU node pool');
  const eps = (flagValue(args, '--ep') ?? '').split(',').filter(Boolean);
  const unknown = eps.filter((ep) => !context.knownProvider(ep));
  if (unknown.length > 0) problems.push(`--ep names providers Inferscope does not know: ${unknown.join(', ')}`);
  if (!eps.some((ep) => ep === 'cuda' || ep === 'tensorrt')) problems.push('--ep measures neither cuda nor tensorrt');

  const volumes = new Map(asList(podSpec.volumes).map((volume) => [String(volume.name), volume]));
  const onClaim = (file: string, writable: boolean) => {
    const mount = mountFor(bench, file);
    const volume = mount ? volumes.get(String(mount.name)) : undefined;
    return mount !== null && volume?.persistentVolumeClaim !== undefined && (!writable || mount.readOnly !== true);
  };
  const json = flagValue(args, '--json');
  if (!json || json === '-') problems.push('bench does not write the run with --json FILE');
  else if (!onClaim(json, true)) problems.push(`--json ${json} is not on a writable volume backed by a PersistentVolumeClaim`);
  const home = asList(bench.env).find((variable) => variable.name === 'INFERSCOPE_HOME')?.value ?? context.dataFolder;
  if (!onClaim(String(home), true))
    problems.push(`the data folder ${String(home)} is not on a PersistentVolumeClaim: the runs would go with the pod`);
  if (at(bench, 'securityContext.readOnlyRootFilesystem') === true && !mountFor(bench, '/tmp')) {
    problems.push('the root filesystem is read-only but /tmp is not mounted (profiling and quantization write there)');
  }
  const model = args[1] ?? '';
  if (!model.startsWith('sample:')) {
    const mount = mountFor(bench, model);
    const writer = asList(podSpec.initContainers).find(
      (init) => asStrings(init.args).includes(model) && asList(init.volumeMounts).some((m) => m.name === mount?.name),
    );
    if (!mount || !writer) problems.push(`the model ${model} is on no volume an initContainer writes it to`);
  }
  return problems;
}

export function manifestProblems(manifests: readonly { file: string; manifest: Manifest }[], context: ManifestContext): string[] {
  const problems: string[] = [];
  const claims = new Set(
    manifests
      .filter(({ manifest }) => manifest.kind === 'PersistentVolumeClaim')
      .map(({ manifest }) => String(at(manifest, 'metadata.name'))),
  );
  const jobs = manifests.filter(({ manifest }) => manifest.apiVersion === 'batch/v1' && manifest.kind === 'Job');
  if (jobs.length !== 1) problems.push(`expected one batch/v1 Job, found ${jobs.length}`);
  for (const { file, manifest } of manifests) {
    const where = `${file} ${String(manifest.kind)} ${String(at(manifest, 'metadata.name'))}`;
    if (manifest.kind === 'Job') {
      for (const field of ['backoffLimit', 'ttlSecondsAfterFinished', 'activeDeadlineSeconds']) {
        const value = at(manifest, `spec.${field}`);
        if (typeof value !== 'number' || value < 0) problems.push(`${where}: spec.${field} is not set`);
      }
      if (at(manifest, 'spec.template.spec.restartPolicy') !== 'Never') problems.push(`${where}: restartPolicy is not Never`);
      problems.push(...podProblems(where, asData(at(manifest, 'spec.template.spec')), context, claims));
      problems.push(...benchProblems(manifest, context).map((problem) => `${where}: ${problem}`));
    } else if (manifest.kind === 'Pod') {
      if (typeof at(manifest, 'spec.activeDeadlineSeconds') !== 'number') problems.push(`${where}: spec.activeDeadlineSeconds is not set`);
      problems.push(...podProblems(where, asData(manifest.spec), context, claims));
    } else if (manifest.kind !== 'PersistentVolumeClaim') problems.push(`${where}: unexpected kind`);
  }
  return problems;
}
