import { z } from 'zod';

/**
 * A file name that comes from a document, a request or a model and names a file inside one of
 * Inferscope's folders: a plain base name (letters, digits, `.`, `_`, `-`), never a path, never
 * `.` or `..`, at most 200 characters. Checked when a document is imported and again on use.
 */
export const PLAIN_FILE_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,200}$/;

export function isPlainFileName(name: string): boolean {
  return PLAIN_FILE_NAME.test(name);
}

export const PlainFileNameSchema = z.string().regex(PLAIN_FILE_NAME, 'must be a plain file name (no folders, no "..")');
