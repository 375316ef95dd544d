// Which source folders an import request takes and where they go: Exchange's -SourceRootFolder,
// -TargetRootFolder, -IncludeFolders and -ExcludeFolders. Pure: names in, names out.
//
// Folder names are written with '/' between levels. In -IncludeFolders/-ExcludeFolders, as in
// Exchange, `Name/*` means the folder and everything under it, and a well-known folder can be
// named by its type: #Inbox#, #SentItems#, #DeletedItems#, #Drafts#, #JunkEmail#, #Archive#.
// Matching ignores case.
import type { FolderRole } from '../store/types.ts';

const WELL_KNOWN: Record<string, FolderRole> = {
  '#inbox#': 'inbox', '#sentitems#': 'sent', '#deleteditems#': 'trash', '#drafts#': 'drafts', '#junkemail#': 'junk', '#archive#': 'archive',
};

export interface FolderSelection {
  sourceRootFolder?: string;
  targetRootFolder?: string;
  includeFolders?: string[];
  excludeFolders?: string[];
}

interface Pattern {
  levels: string[];
  role?: FolderRole;
  subtree: boolean;
}

function compile(pattern: string): Pattern {
  let text = pattern.trim();
  const subtree = text.endsWith('/*');
  if (subtree) text = text.slice(0, -2);
  const levels = text.split('/').filter((l) => l.length > 0);
  const role = levels.length > 0 ? WELL_KNOWN[levels[0]!.toLowerCase()] : undefined;
  return { levels: role ? levels.slice(1) : levels.map((l) => l.toLowerCase()), ...(role ? { role } : {}), subtree };
}

/** Whether `path` (with the role of each of its ancestors) matches the pattern. */
function matches(p: Pattern, path: string[], roleOf: (prefix: string[]) => FolderRole | undefined): boolean {
  let start = 0;
  if (p.role) {
    // #Inbox#/Sub: the first level is the folder of that role at the source.
    if (path.length === 0 || roleOf(path.slice(0, 1)) !== p.role) return false;
    start = 1;
  }
  const rest = path.slice(start).map((l) => l.toLowerCase());
  if (rest.length < p.levels.length) return false;
  for (let i = 0; i < p.levels.length; i++) if (rest[i] !== p.levels[i]) return false;
  return p.subtree ? true : rest.length === p.levels.length;
}

/**
 * Where a source folder goes: null when it is outside SourceRootFolder, not included or
 * excluded; else its levels below SourceRootFolder, under TargetRootFolder.
 */
export function placeFolder(path: string[], selection: FolderSelection, roleOf: (prefix: string[]) => FolderRole | undefined): string[] | null {
  const root = (selection.sourceRootFolder ?? '').split('/').filter((l) => l.length > 0);
  if (path.length < root.length) return null;
  for (let i = 0; i < root.length; i++) if (path[i]!.toLowerCase() !== root[i]!.toLowerCase()) return null;
  // The source root itself maps onto the target root; without one it has no folder to go to.
  const below = path.slice(root.length);
  const includes = (selection.includeFolders ?? []).map(compile);
  const excludes = (selection.excludeFolders ?? []).map(compile);
  if (includes.length > 0 && !includes.some((p) => matches(p, path, roleOf) || matches(p, below, roleOf))) return null;
  if (excludes.some((p) => matches(p, path, roleOf) || matches(p, below, roleOf))) return null;
  const targetRoot = (selection.targetRootFolder ?? '').split('/').filter((l) => l.length > 0);
  const target = [...targetRoot, ...below];
  return target.length > 0 ? target : null;
}
