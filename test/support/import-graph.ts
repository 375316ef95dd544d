// The module graph of src/ as the TypeScript parser sees it: every relative import, export-from
// and import() of every file, each marked whether it is type-only (erased at run time), and the
// strongly connected components of that graph (Tarjan) — each component of more than one module,
// or a module importing itself, is an import cycle.
import ts from 'typescript';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

export const SRC = resolve(import.meta.dirname, '..', '..', 'src');

export interface ImportEdge {
  from: string; // path relative to src/, e.g. 'imap/session/session.ts'
  to: string;
  typeOnly: boolean; // `import type`, `export type` or every named binding marked `type`
  dynamic: boolean; // import('…')
}

export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function typeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // import './x' runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  if (!bindings || !ts.isNamedImports(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function typeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

/** Every relative import in src/, one edge per import statement. */
export function importEdges(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles()) {
    const from = relative(SRC, file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const add = (specifier: ts.Expression | undefined, typeOnly: boolean, dynamic: boolean) => {
      if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith('.')) return;
      edges.push({ from, to: relative(SRC, resolve(dirname(file), specifier.text)), typeOnly, dynamic });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, typeOnlyImport(node), false);
      else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, typeOnlyExport(node), false);
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false, true);
      else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, true, false); // import('…').T
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return edges;
}

/** Strongly connected components with more than one module (or a self-import), each sorted. */
export function cycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    if (!next.has(e.to)) next.set(e.to, new Set());
    next.get(e.from)!.add(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let counter = 0;
  // Iterative Tarjan: the graph is a few hundred modules, but recursion depth is not worth risking.
  for (const root of [...next.keys()].sort()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; it: Iterator<string> }> = [];
    const open = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, it: next.get(node)![Symbol.iterator]() });
    };
    open(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const step = top.it.next();
      if (!step.done) {
        const w = step.value;
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== top.node);
        if (component.length > 1 || next.get(top.node)!.has(top.node)) found.push(component.sort());
      }
    }
  }
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One concrete loop through a component, for the message: a → b → … → a. */
export function loopIn(component: string[], edges: ImportEdge[]): string[] {
  const members = new Set(component);
  const next = new Map<string, string[]>();
  for (const e of edges) if (members.has(e.from) && members.has(e.to)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  // Breadth-first from the first module back to itself: the shortest loop through it.
  const start = component[0]!;
  const via = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const w of next.get(node) ?? []) {
      if (w === start) {
        const path = [start];
        for (let n = node; n !== start; n = via.get(n)!) path.splice(1, 0, n);
        return [...path, start];
      }
      if (!via.has(w)) {
        via.set(w, node);
        queue.push(w);
      }
    }
  }
  return component;
}
