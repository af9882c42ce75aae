/**
 * What a ZIP archive holds (PyTorch's torch.save / torch.jit.save files and Keras v3 .keras files
 * are ZIPs): its entry names from the central directory, and the bytes of a few small entries.
 */
import yauzl from 'yauzl';
import { InferscopeError } from '../../shared/errors';

/** A model archive with more entries than this is not one we read (a SavedModel zipped whole, a dataset). */
const MAX_ENTRIES = 200_000;

export interface ZipContents {
  names: string[];
  /** The entries asked for, by name (absent: missing, or larger than the limit). */
  files: Map<string, Buffer>;
}

/**
 * Lists the archive's entries and reads those `limit` gives a size for, each at most that many
 * bytes (a larger one is left out, not cut; 0 skips it). A damaged archive is MODEL_INVALID.
 */
export async function readZip(file: string, limit: (name: string) => number): Promise<ZipContents> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, strictFileNames: false });
  } catch (error) {
    throw new InferscopeError('MODEL_INVALID', `${file} starts like a ZIP archive but cannot be read as one: ${messageOf(error)}.`, {
      cause: error,
    });
  }
  const names: string[] = [];
  const files = new Map<string, Buffer>();
  try {
    if (zip.entryCount > MAX_ENTRIES) {
      throw new InferscopeError('MODEL_INVALID', `The archive holds ${zip.entryCount} entries, more than a model file has.`);
    }
    for await (const entry of zip.eachEntry()) {
      names.push(entry.fileName);
      const maxBytes = limit(entry.fileName);
      if (maxBytes === 0 || entry.uncompressedSize > maxBytes || !entry.canDecodeFileData()) continue;
      files.set(entry.fileName, await readEntry(zip, entry));
    }
  } catch (error) {
    if (error instanceof InferscopeError) throw error;
    throw new InferscopeError('MODEL_INVALID', `The ZIP archive ${file} is damaged: ${messageOf(error)}.`, { cause: error });
  } finally {
    zip.close();
  }
  return { names, files };
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
