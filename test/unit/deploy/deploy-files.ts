/** The files of deploy/ and what README.md says about them, read once for the deploy lint tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../support/build';

export const DOCKERFILE = 'deploy/gpu/Dockerfile';
export const DOCKERIGNORE = 'deploy/gpu/Dockerfile.dockerignore';
export const ENTRYPOINT = 'deploy/gpu/entrypoint.sh';
export const HEALTHCHECK = 'deploy/gpu/healthcheck.mjs';
export const FETCH_MODEL = 'deploy/gpu/fetch-model.mjs';
export const KUBERNETES = ['deploy/kubernetes/data-pvc.yaml', 'deploy/kubernetes/bench-job.yaml', 'deploy/kubernetes/runs-reader.yaml'];
/** The README section about deploy/, up to the next `## ` heading. */
export const README_SECTION = '## Run the server side on a GPU node (container, Kubernetes)';

export const read = (file: string): string => readFileSync(path.join(repoRoot, file), 'utf8');

export const packageJson = JSON.parse(read('package.json')) as { version: string; license: string };

/** A Kubernetes object as the lint reads it: plain data, fields looked up by path. */
export type Manifest = Record<string, unknown>;

/** Every YAML document of the given files; a YAML error is a test failure, with the file and line. */
export function readManifests(files: readonly string[] = KUBERNETES): { file: string; manifest: Manifest }[] {
  return files.flatMap((file) =>
    parseAllDocuments(read(file)).map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
      return { file, manifest: document.toJS() as Manifest };
    }),
  );
}

export function readmeSection(readme = read('README.md')): string {
  const start = readme.indexOf(README_SECTION);
  if (start < 0) throw new Error(`README.md has no section "${README_SECTION}"`);
  const next = readme.indexOf('\n## ', start + README_SECTION.length);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** The image the README tells to build: `docker build -f deploy/gpu/Dockerfile -t IMAGE .` */
export function readmeImage(section: string): string {
  const build = /docker build -f deploy\/gpu\/Dockerfile -t (\S+) \./.exec(section);
  if (!build?.[1]) throw new Error('the README section does not say `docker build -f deploy/gpu/Dockerfile -t IMAGE .`');
  return build[1];
}
