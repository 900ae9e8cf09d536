/** Language ids of prose documents, shared by the CLI, the language server and the editor. */
import { ownValue } from '../ownKey';

/** The languages checked by default. */
export const DEFAULT_LANGUAGES = ['markdown', 'plaintext', 'latex', 'restructuredtext'];

/** File extensions the CLI lints, with their language ids. */
export const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.tex': 'latex',
  '.rst': 'restructuredtext',
  '.txt': 'plaintext',
};

/** Language ids other editors use for the prose languages. */
const LANGUAGE_ALIASES: Record<string, string> = {
  text: 'plaintext',
  txt: 'plaintext',
  tex: 'latex',
  plaintex: 'latex',
  rst: 'restructuredtext',
  md: 'markdown',
  'markdown.mdx': 'markdown',
};

export function normalizeLanguageId(id: string): string {
  return ownValue(LANGUAGE_ALIASES, id) ?? id;
}

/** The language id of a file by its extension (unknown extensions: Markdown). */
export function languageOfPath(path: string): string {
  const m = /\.[^./\\]+$/.exec(path);
  return (m && ownValue(LANGUAGE_BY_EXTENSION, m[0].toLowerCase())) ?? 'markdown';
}
