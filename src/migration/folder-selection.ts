// PURE: which folders -IncludeFolders, -ExcludeFolders and -SourceRootFolder select, with
// Exchange's syntax: a folder path with '/' between levels (`Inbox/Projects`), matched without
// regard to case; `/*` after a path for the folder and every folder below it; and well-known
// folder names between '#' (`#Inbox#`, `#SentItems#/*`) that find a default folder whatever
// its language.
import type { FolderRole } from '../store/types.ts';

const WELL_KNOWN: Record<string, FolderRole> = {
  '#inbox#': 'inbox', '#sentitems#': 'sent', '#deleteditems#': 'trash', '#drafts#': 'drafts',
  '#junkemail#': 'junk', '#archive#': 'archive',
};

export interface SelectableFolder {
  name: string;
  role: FolderRole | null;
}

export interface FolderSelection {
  include?: readonly string[];
  exclude?: readonly string[];
  root?: string;
}

/** Thrown for a pattern that names an unknown well-known folder: the admin mistyped. */
export class FolderPatternError extends Error {}

interface Pattern {
  path: string;
  subtree: boolean;
}

function resolvePattern(text: string, folders: readonly SelectableFolder[]): Pattern | null {
  let path = text.trim();
  let subtree = false;
  if (path.endsWith('/*')) {
    subtree = true;
    path = path.slice(0, -2);
  }
  if (path.startsWith('/')) path = path.slice(1);
  const first = path.split('/')[0]!;
  if (first.startsWith('#') && first.endsWith('#') && first.length > 2) {
    const role = WELL_KNOWN[first.toLowerCase()];
    if (!role) throw new FolderPatternError(`'${first}' is not a well-known folder name; use one of ${Object.keys(WELL_KNOWN).map((k) => `#${k.slice(1, -1)}#`).join(', ')}.`);
    const folder = folders.find((f) => f.role === role);
    if (!folder) return null;
    path = folder.name + path.slice(first.length);
  }
  return { path: path.toLowerCase(), subtree };
}

function matches(name: string, pattern: Pattern): boolean {
  // The Inbox is INBOX in any case (RFC 3501 §5.1).
  const n = name.toLowerCase();
  return n === pattern.path || (pattern.subtree && n.startsWith(`${pattern.path}/`));
}

/** The folders that the selection takes, in the order given. */
export function selectFolders<T extends SelectableFolder>(folders: readonly T[], selection: FolderSelection): T[] {
  const resolve = (list: readonly string[] | undefined) =>
    (list ?? []).map((p) => resolvePattern(p, folders)).filter((p): p is Pattern => p !== null);
  const include = resolve(selection.include);
  const exclude = resolve(selection.exclude);
  const root = selection.root ? resolvePattern(selection.root.endsWith('/*') ? selection.root : `${selection.root}/*`, folders) : null;
  if (selection.root && !root) return [];
  return folders.filter((f) =>
    (!root || matches(f.name, root)) &&
    (!selection.include?.length || include.some((p) => matches(f.name, p))) &&
    !exclude.some((p) => matches(f.name, p)));
}
