/**
 * A source's identity for the conversion cache: the sha256 of a file, or of a folder's files (their
 * relative paths and contents, in sorted order, so the same SavedModel copied elsewhere hashes alike).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { InferscopeError } from '../../shared/errors';
import { sha256File } from '../store/files';

/** A SavedModel has a handful of files; a folder with more is not one. */
const MAX_FOLDER_FILES = 10_000;

export { sha256File };

/** Regular files under `dir` (links are not followed: a link out of the folder is not its content). */
export async function folderFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const name = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) await walk(name);
      else if (entry.isFile()) found.push(name);
      if (found.length > MAX_FOLDER_FILES) {
        throw new InferscopeError(
          'MODEL_INVALID',
          `${path.basename(dir)} holds more than ${MAX_FOLDER_FILES} files; it is not a model folder.`,
        );
      }
    }
  };
  await walk('');
  return found.sort();
}

function feed(hash: Hash, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve());
  });
}

export async function sha256Folder(dir: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for (const name of await folderFiles(dir)) {
    const file = path.join(dir, name);
    const { size } = await fs.stat(file);
    sizeBytes += size;
    hash.update(`${name}\0${size}\0`);
    await feed(hash, file);
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}
