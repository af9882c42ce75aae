/**
 * The rules deploy/gpu/Dockerfile is held to, as a list of problems (empty when it follows them all), so the tests
 * can show each rule failing on a broken copy of the file as well as passing on the real one.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { copyOperands, dockerignoreIncludes, imageParts, stageArgs, stageEnv, substitute, type Dockerfile, type Stage } from './dockerfile';

export interface DockerfileContext {
  repoRoot: string;
  /** The rules of the .dockerignore the build uses (deploy/gpu/Dockerfile.dockerignore). */
  dockerignore: string;
  packageJson: { version: string; license: string };
}

/** What the image is, for the checks of the Job and the entrypoint against it. */
export interface ImageFacts {
  runtime: Stage;
  user: string | null;
  env: Record<string, string>;
  volumes: string[];
  exposed: string[];
  entrypoint: string[] | null;
  cmd: string[] | null;
  healthcheck: string[] | null;
  /** Files of the repository the runtime stage copies, by where they land in the image. */
  copiedFromRepo: Map<string, string>;
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const CUDA_RUNTIME = /^(?:nvcr\.io\/)?nvidia\/cuda$/;
/** CUDA 12 with cuDNN 9: `12.9.1-cudnn-runtime-…` (cuDNN 9 is the one `cudnn` of CUDA ≥ 12.4 tags) or `…-cudnn9-runtime-…`. */
const CUDA12_CUDNN9_RUNTIME_TAG = /^12\.\d+\.\d+-cudnn9?-runtime-ubuntu\d+\.\d+$/;
const TENSORRT_FOR_CUDA12 = /^10\.\d+\.\d+\.\d+-1\+cuda12\.\d+$/;
const TENSORRT_PACKAGES = ['libnvinfer10', 'libnvinfer-plugin10'];

function filesUnder(root: string, relative: string): string[] {
  const full = path.join(root, relative);
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full).flatMap((name) => filesUnder(root, path.posix.join(relative, name)));
}

function last<T>(items: T[]): T | null {
  return items.length > 0 ? (items[items.length - 1] ?? null) : null;
}

export function imageFacts(file: Dockerfile, repoRoot: string): ImageFacts {
  const runtime = file.stages[file.stages.length - 1];
  if (!runtime) throw new Error('the Dockerfile has no FROM');
  const all = runtime.instructions;
  const of = (keyword: string) => all.filter((instruction) => instruction.keyword === keyword);
  const copiedFromRepo = new Map<string, string>();
  for (const copy of of('COPY').filter((instruction) => instruction.flags.from === undefined)) {
    const { sources, destination } = copyOperands(copy);
    for (const source of sources) {
      const target = destination.endsWith('/') ? path.posix.join(destination, path.posix.basename(source)) : destination;
      if (existsSync(path.join(repoRoot, source))) copiedFromRepo.set(target, source);
    }
  }
  const healthcheck = last(of('HEALTHCHECK'));
  const healthCommand = healthcheck ? /^CMD\s+(.*)$/.exec(healthcheck.args) : null;
  return {
    runtime,
    user: last(of('USER'))?.args ?? null,
    env: stageEnv(runtime),
    volumes: of('VOLUME').flatMap((instruction) => instruction.json ?? instruction.args.split(/\s+/)),
    exposed: of('EXPOSE').flatMap((instruction) => instruction.args.split(/\s+/)),
    entrypoint: last(of('ENTRYPOINT'))?.json ?? null,
    cmd: last(of('CMD'))?.json ?? null,
    healthcheck: healthCommand?.[1] ? JSON.parse(healthCommand[1]) : null,
    copiedFromRepo,
  };
}

function baseProblems(file: Dockerfile): string[] {
  const problems: string[] = [];
  const earlier = new Set<string>();
  for (const stage of file.stages) {
    if (earlier.has(stage.base)) {
      if (stage.name) earlier.add(stage.name);
      continue;
    }
    const { tag, digest } = imageParts(stage.base);
    if (stage.base.includes('$')) problems.push(`line ${stage.line}: FROM ${stage.baseAsWritten} names an ARG without a default`);
    else if (tag === null || tag === 'latest') problems.push(`line ${stage.line}: FROM ${stage.base} is not pinned to a version tag`);
    else if (digest === null || !SHA256_DIGEST.test(digest)) problems.push(`line ${stage.line}: FROM ${stage.base} has no sha256 digest`);
    if (stage.name) earlier.add(stage.name);
  }
  const runtime = file.stages[file.stages.length - 1];
  const runtimeImage = runtime ? imageParts(runtime.base) : null;
  if (!runtimeImage || !CUDA_RUNTIME.test(runtimeImage.name) || !CUDA12_CUDNN9_RUNTIME_TAG.test(runtimeImage.tag ?? '')) {
    problems.push(`the runtime stage's base ${runtime?.base ?? '(none)'} is not NVIDIA's CUDA 12 + cuDNN 9 runtime image`);
  }
  const nodeStage = file.stages.find((stage) => /^node:22\.\d+\.\d+-/.test(stage.base));
  const copiesNode = runtime?.instructions.some(
    (instruction) =>
      instruction.keyword === 'COPY' &&
      instruction.flags.from === nodeStage?.name &&
      copyOperands(instruction).sources.includes('/usr/local/bin/node'),
  );
  if (!nodeStage || !copiesNode)
    problems.push("the runtime stage does not take its node binary from an official node:22.x.y image's stage");
  return problems;
}

function copyProblems(file: Dockerfile, context: DockerfileContext): string[] {
  const problems: string[] = [];
  const stageNames = new Set<string>();
  for (const stage of file.stages) {
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'ADD') {
        const { sources } = copyOperands(instruction);
        if (sources.some((source) => /^(https?|git):|\.git$/.test(source)) && instruction.flags.checksum === undefined) {
          problems.push(`line ${instruction.line}: ADD of a URL without --checksum`);
        }
      }
      if (instruction.keyword === 'RUN' && /\b(curl|wget)\b[^|]*\|\s*(ba|da)?sh\b/.test(instruction.args)) {
        problems.push(`line ${instruction.line}: RUN pipes a download into a shell`);
      }
      if (instruction.keyword !== 'COPY') continue;
      const from = instruction.flags.from;
      if (from !== undefined) {
        if (!stageNames.has(from)) problems.push(`line ${instruction.line}: COPY --from=${from} names no earlier stage`);
        continue;
      }
      for (const source of copyOperands(instruction).sources) {
        if (!existsSync(path.join(context.repoRoot, source))) {
          problems.push(`line ${instruction.line}: COPY ${source}: no such file in the repository`);
          continue;
        }
        const left = filesUnder(context.repoRoot, source).filter((file) => !dockerignoreIncludes(context.dockerignore, file));
        if (left.length > 0)
          problems.push(`line ${instruction.line}: COPY ${source}: the .dockerignore keeps out ${left.slice(0, 3).join(', ')}`);
      }
    }
    if (stage.name) stageNames.add(stage.name);
  }
  return problems;
}

function buildProblems(file: Dockerfile): string[] {
  const problems: string[] = [];
  const runtime = file.stages[file.stages.length - 1];
  const runs = (stage: Stage) =>
    stage.instructions
      .filter((instruction) => instruction.keyword === 'RUN')
      .map((instruction) => instruction.args)
      .join('\n');
  const builders = file.stages.slice(0, -1).map(runs).join('\n');
  for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev', 'install-gpu-providers']) {
    if (!builders.includes(step)) problems.push(`no build stage runs \`${step}\``);
  }
  if (runtime && /\bnpm (ci|install|run)\b/.test(runs(runtime)))
    problems.push('the runtime stage runs npm: building belongs in the build stage');
  for (const provider of ['cuda', 'tensorrt']) {
    if (!new RegExp(`ldd [^|]*libonnxruntime_providers_${provider}\\.so`).test(runtime ? runs(runtime) : '')) {
      problems.push(`the runtime stage does not check with ldd that libonnxruntime_providers_${provider}.so finds its libraries`);
    }
  }
  const args = runtime ? stageArgs(file, runtime) : {};
  const runtimeRuns = runtime ? substitute(runs(runtime), args) : '';
  for (const name of TENSORRT_PACKAGES) {
    const pinned = new RegExp(`"?${name}=([^"\\s]+)`).exec(runtimeRuns);
    if (!pinned?.[1] || !TENSORRT_FOR_CUDA12.test(pinned[1])) {
      problems.push(`the runtime stage does not install ${name} pinned to a TensorRT 10 build for CUDA 12 (${pinned?.[1] ?? 'unpinned'})`);
    }
  }
  return problems;
}

function runtimeProblems(file: Dockerfile, context: DockerfileContext): string[] {
  const problems: string[] = [];
  const facts = imageFacts(file, context.repoRoot);
  const instructions = facts.runtime.instructions;
  const userAt = instructions.findLastIndex((instruction) => instruction.keyword === 'USER');
  const entrypointAt = instructions.findLastIndex((instruction) => instruction.keyword === 'ENTRYPOINT');
  const user = facts.user?.split(':')[0] ?? '';
  if (userAt < 0 || userAt > entrypointAt || user === '' || user === 'root' || user === '0') {
    problems.push(`the image does not switch to a user other than root before ENTRYPOINT (USER ${facts.user ?? 'missing'})`);
  } else if (!/^\d+$/.test(user)) problems.push(`USER ${facts.user}: give a numeric uid, so Kubernetes can verify runAsNonRoot`);
  const script = facts.entrypoint?.find((word) => facts.copiedFromRepo.has(word));
  if (!facts.entrypoint || !script || facts.copiedFromRepo.get(script) !== 'deploy/gpu/entrypoint.sh') {
    problems.push('ENTRYPOINT (exec form) does not run deploy/gpu/entrypoint.sh as copied into the image');
  }
  if (facts.cmd?.[0] !== 'serve') problems.push(`CMD is ${JSON.stringify(facts.cmd)}, not ["serve"]: the image must serve by default`);
  const home = facts.env.INFERSCOPE_HOME;
  if (!home || !facts.volumes.includes(home)) problems.push(`the data folder INFERSCOPE_HOME (${home ?? 'unset'}) is not a VOLUME`);
  if (!facts.env.INFERSCOPE_PORT || !facts.exposed.includes(facts.env.INFERSCOPE_PORT)) {
    problems.push(`EXPOSE ${facts.exposed.join(' ') || '(none)'} is not INFERSCOPE_PORT (${facts.env.INFERSCOPE_PORT ?? 'unset'})`);
  }
  const probe = facts.healthcheck?.find((word) => facts.copiedFromRepo.has(word));
  if (!facts.healthcheck || !probe) problems.push('no HEALTHCHECK (exec form) running a script copied from the repository');
  const labels = substitute(
    instructions
      .filter((instruction) => instruction.keyword === 'LABEL')
      .map((instruction) => instruction.args)
      .join(' '),
    stageArgs(file, facts.runtime),
  );
  const label = (key: string) => new RegExp(`${key.replace(/\./g, '\\.')}="([^"]*)"`).exec(labels)?.[1];
  if (label('org.opencontainers.image.version') !== context.packageJson.version) {
    problems.push(
      `label org.opencontainers.image.version is ${label('org.opencontainers.image.version')}, not ${context.packageJson.version}`,
    );
  }
  if (label('org.opencontainers.image.licenses') !== context.packageJson.license)
    problems.push('label org.opencontainers.image.licenses ≠ package.json');
  if (!label('org.opencontainers.image.title')) problems.push('no org.opencontainers.image.title label');
  return problems;
}

export function dockerfileProblems(file: Dockerfile, context: DockerfileContext): string[] {
  const problems = [...baseProblems(file), ...copyProblems(file, context), ...buildProblems(file), ...runtimeProblems(file, context)];
  const usesBuildKitFlags = file.stages.some((stage) => stage.instructions.some((instruction) => instruction.flags.chmod !== undefined));
  if (usesBuildKitFlags && !file.directives.syntax) problems.push('COPY --chmod needs a `# syntax=docker/dockerfile:1…` line');
  return problems;
}
