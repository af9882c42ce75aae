/**
 * deploy/gpu/Dockerfile, linted by machine (no Docker here): each rule passes on the real file and fails on a copy
 * broken the way that rule guards against, so a rule that cannot fail is caught too.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/build';
import { DOCKERFILE, DOCKERIGNORE, packageJson, read } from './deploy-files';
import { dockerignoreIncludes, parseDockerfile } from './dockerfile';
import { dockerfileProblems, imageFacts, type DockerfileContext } from './dockerfile-rules';

const text = read(DOCKERFILE);
const context: DockerfileContext = { repoRoot, dockerignore: read(DOCKERIGNORE), packageJson };
const problemsOf = (source: string, overrides: Partial<DockerfileContext> = {}) =>
  dockerfileProblems(parseDockerfile(source), { ...context, ...overrides });

/** The real Dockerfile with one piece replaced; the piece must be there, so a stale test fails loudly. */
function broken(search: string | RegExp, replacement: string): string {
  const changed = text.replace(search, replacement);
  expect(changed, `the Dockerfile no longer contains ${String(search)}`).not.toBe(text);
  return changed;
}

describe('the parser', () => {
  it('reads directives, continuations, comments inside them, exec form, flags and ARG defaults in FROM', () => {
    const file = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1.7',
        'ARG BASE=debian:12.5@sha256:' + 'a'.repeat(64),
        'FROM ${BASE} AS one',
        'RUN echo a \\',
        '# a comment inside the continuation',
        '    && echo b',
        'COPY --from=one --chmod=0755 /x /y',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD echo shell form',
      ].join('\n'),
    );
    expect(file.directives).toEqual({ syntax: 'docker/dockerfile:1.7' });
    const [stage] = file.stages;
    expect(stage?.base).toBe(`debian:12.5@sha256:${'a'.repeat(64)}`);
    expect(stage?.name).toBe('one');
    expect(stage?.instructions.map((i) => [i.keyword, i.line, i.args])).toEqual([
      ['RUN', 4, 'echo a && echo b'],
      ['COPY', 7, '/x /y'],
      ['ENTRYPOINT', 8, '["/bin/sh", "-c"]'],
      ['CMD', 9, 'echo shell form'],
    ]);
    expect(stage?.instructions[1]?.flags).toEqual({ from: 'one', chmod: '0755' });
    expect(stage?.instructions[2]?.json).toEqual(['/bin/sh', '-c']);
    expect(stage?.instructions[3]?.json).toBeNull();
  });

  it('applies .dockerignore rules as Docker does: last match wins, ! re-includes, parents match', () => {
    const rules = '*\n!src\n!deploy/gpu\nsrc/**/*.secret\n';
    expect(dockerignoreIncludes(rules, 'src/core/a.ts')).toBe(true);
    expect(dockerignoreIncludes(rules, 'node_modules/x/index.js')).toBe(false);
    expect(dockerignoreIncludes(rules, 'deploy/gpu/entrypoint.sh')).toBe(true);
    expect(dockerignoreIncludes(rules, 'deploy/kubernetes/bench-job.yaml')).toBe(false);
    expect(dockerignoreIncludes(rules, 'src/a/b/key.secret')).toBe(false);
  });
});

describe('deploy/gpu/Dockerfile', () => {
  it('follows every rule', () => {
    expect(problemsOf(text)).toEqual([]);
  });

  it('runs only commands that are valid POSIX shell (sh -n, the /bin/sh of the images is dash)', () => {
    const runs = parseDockerfile(text).stages.flatMap((stage) => stage.instructions.filter((i) => i.keyword === 'RUN' && !i.json));
    expect(runs.length).toBeGreaterThanOrEqual(4);
    for (const run of runs) {
      const check = spawnSync('sh', ['-n', '-c', run.args], { encoding: 'utf8' });
      expect(check.stderr, `line ${run.line}: ${run.args}`).toBe('');
      expect(check.status).toBe(0);
    }
    expect(spawnSync('sh', ['-n', '-c', 'if [ x ]; then echo; fi fi'], { encoding: 'utf8' }).status).not.toBe(0);
  });

  it('builds on CUDA 12 + cuDNN 9 (runtime), and Node 22, each pinned by tag and digest', () => {
    const file = parseDockerfile(text);
    expect(file.stages.map((stage) => stage.name)).toEqual(['node', 'build', 'runtime']);
    expect(file.stages[2]?.base).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu24\.04@sha256:[0-9a-f]{64}$/);
    expect(file.stages[0]?.base).toMatch(/^node:22\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);

    expect(problemsOf(broken(/nvidia\/cuda:12\.9\.1-cudnn-runtime-ubuntu24\.04@sha256:[0-9a-f]+/, 'nvidia/cuda:latest'))).toEqual(
      expect.arrayContaining([expect.stringContaining('not pinned to a version tag'), expect.stringContaining('not NVIDIA')]),
    );
    expect(problemsOf(broken('12.9.1-cudnn-runtime', '12.9.1-cudnn8-runtime'))).toEqual([
      expect.stringContaining("is not NVIDIA's CUDA 12 + cuDNN 9 runtime image"),
    ]);
    expect(problemsOf(broken('12.9.1-cudnn-runtime', '11.8.0-cudnn8-runtime'))).toHaveLength(1);
    expect(problemsOf(broken(/@sha256:dd9d[0-9a-f]+/, ''))).toEqual([expect.stringContaining('has no sha256 digest')]);
    expect(problemsOf(broken('node:22.22.0', 'node:20.19.0'))).toEqual([expect.stringContaining('node:22')]);
  });

  it('builds with npm ci && npm run build in a build stage, and the runtime stage only copies what runs', () => {
    expect(problemsOf(broken(' && npm run build \\', ' && npm run typecheck \\'))).toEqual(['no build stage runs `npm run build`']);
    expect(problemsOf(broken(' && node bin/inferscope.js install-gpu-providers', ''))).toEqual([
      'no build stage runs `install-gpu-providers`',
    ]);
    expect(problemsOf(broken('RUN ln -s', 'RUN npm ci && ln -s'))).toEqual([expect.stringContaining('the runtime stage runs npm')]);
    expect(problemsOf(broken(/ldd "\$providers\/libonnxruntime_providers_cuda\.so" \\\n\s*/, 'ldd '))).toEqual([
      expect.stringContaining('libonnxruntime_providers_cuda.so finds its libraries'),
    ]);
  });

  it('installs TensorRT 10 for CUDA 12, pinned (an unpinned install would take a CUDA 13 build)', () => {
    expect(problemsOf(broken('ARG TENSORRT_VERSION=10.14.1.48-1+cuda12.9', 'ARG TENSORRT_VERSION=10.14.1.48-1+cuda13.0'))).toHaveLength(2);
    expect(problemsOf(broken('"libnvinfer10=${TENSORRT_VERSION}"', 'libnvinfer10'))).toEqual([
      expect.stringContaining('does not install libnvinfer10 pinned'),
    ]);
  });

  it('runs as a numeric non-root user, serves by default through the entrypoint script, with a volume and a health check', () => {
    expect(problemsOf(broken('USER 10001:10001', 'USER root'))).toEqual([expect.stringContaining('other than root')]);
    expect(problemsOf(broken('USER 10001:10001', 'USER inferscope'))).toEqual([expect.stringContaining('numeric uid')]);
    expect(problemsOf(broken('USER 10001:10001\n', ''))).toEqual([expect.stringContaining('other than root')]);
    expect(problemsOf(broken('CMD ["serve"]', 'CMD ["hardware"]'))).toEqual([expect.stringContaining('must serve by default')]);
    expect(problemsOf(broken('"/opt/inferscope/deploy/entrypoint.sh"]', '"/opt/inferscope/bin/inferscope.js"]'))).toEqual([
      expect.stringContaining('ENTRYPOINT'),
    ]);
    expect(problemsOf(broken('VOLUME ["/data"]', 'VOLUME ["/srv"]'))).toEqual([expect.stringContaining('is not a VOLUME')]);
    expect(problemsOf(broken(/\nHEALTHCHECK [^\n]*/, ''))).toEqual([expect.stringContaining('no HEALTHCHECK')]);
    expect(problemsOf(broken('EXPOSE 5178', 'EXPOSE 8080'))).toEqual([expect.stringContaining('EXPOSE 8080')]);

    const facts = imageFacts(parseDockerfile(text), repoRoot);
    expect(facts.env.INFERSCOPE_HOME).toBe('/data');
    expect(facts.copiedFromRepo.get('/opt/inferscope/deploy/healthcheck.mjs')).toBe('deploy/gpu/healthcheck.mjs');
    expect(facts.copiedFromRepo.get('/opt/inferscope/deploy/fetch-model.mjs')).toBe('deploy/gpu/fetch-model.mjs');
  });

  it('copies only files that exist and that the .dockerignore lets into the build context', () => {
    expect(problemsOf(broken('COPY src src', 'COPY source src'))).toEqual([expect.stringContaining('COPY source: no such file')]);
    expect(problemsOf(broken('COPY bin bin', 'COPY bin bin\nCOPY docs docs'))).toEqual([
      expect.stringContaining('COPY docs: the .dockerignore keeps out docs/'),
    ]);
    expect(problemsOf(text, { dockerignore: `${context.dockerignore}\nsrc/cli/**\n` })).toEqual([
      expect.stringContaining('COPY src: the .dockerignore keeps out src/cli/'),
    ]);
    expect(problemsOf(broken('COPY --from=build /src/bin', 'COPY --from=builder /src/bin'))).toEqual([
      expect.stringContaining('COPY --from=builder names no earlier stage'),
    ]);
    expect(problemsOf(broken('COPY bin bin', 'ADD https://example.com/tool.tgz /tmp/\nCOPY bin bin'))).toEqual([
      expect.stringContaining('ADD of a URL without --checksum'),
    ]);
    expect(problemsOf(broken('RUN ln -s', 'RUN curl -fsSL https://example.com/x | sh && ln -s'))).toEqual([
      expect.stringContaining('pipes a download into a shell'),
    ]);
  });

  it("labels the image with package.json's version and license", () => {
    expect(problemsOf(text, { packageJson: { ...packageJson, version: '9.9.9' } })).toEqual([
      expect.stringContaining(`org.opencontainers.image.version is ${packageJson.version}, not 9.9.9`),
    ]);
    expect(problemsOf(text, { packageJson: { ...packageJson, license: 'Apache-2.0' } })).toEqual([expect.stringContaining('licenses')]);
  });
});
