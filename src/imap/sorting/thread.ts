// THREAD (RFC 5256 §3): ORDEREDSUBJECT groups by base subject; REFERENCES builds the tree from
// Message-ID/References (the "jwz" algorithm, steps 1–6), then merges by subject.
import { baseSubject, isReplyOrForward } from './base-subject.ts';
import type { MessageFacts } from './message-facts.ts';

export interface ThreadNode {
  message: MessageFacts | null;
  children: ThreadNode[];
}

const byDate = (a: ThreadNode, b: ThreadNode) => dateOf(a) - dateOf(b) || uidOf(a) - uidOf(b);

function dateOf(n: ThreadNode): number {
  if (n.message) return n.message.sent;
  return n.children.length > 0 ? Math.min(...n.children.map(dateOf)) : 0;
}

function uidOf(n: ThreadNode): number {
  if (n.message) return n.message.uid;
  return n.children.length > 0 ? Math.min(...n.children.map(uidOf)) : 0;
}

export function orderedSubject(facts: MessageFacts[]): ThreadNode[] {
  const groups = new Map<string, MessageFacts[]>();
  for (const f of facts) {
    const key = baseSubject(f.subject);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const threads: ThreadNode[] = [];
  for (const members of groups.values()) {
    members.sort((a, b) => a.sent - b.sent || a.uid - b.uid);
    const [first, ...rest] = members;
    threads.push({ message: first!, children: rest.map((m) => ({ message: m, children: [] })) });
  }
  return threads.sort(byDate);
}

export function references(facts: MessageFacts[]): ThreadNode[] {
  interface Container { id: string; message: MessageFacts | null; parent: Container | null; children: Container[] }
  const table = new Map<string, Container>();
  const get = (id: string): Container => {
    let c = table.get(id);
    if (!c) table.set(id, (c = { id, message: null, parent: null, children: [] }));
    return c;
  };
  const isAncestor = (a: Container, b: Container) => {
    for (let p: Container | null = b; p; p = p.parent) if (p === a) return true;
    return false;
  };
  const link = (parent: Container, child: Container) => {
    if (child.parent || parent === child || isAncestor(child, parent)) return;
    child.parent = parent;
    parent.children.push(child);
  };
  // Step 1: containers for every message and every referenced id.
  for (const f of facts) {
    const id = f.messageId && !(table.get(f.messageId)?.message) ? f.messageId : `<uid-${f.uid}@mailroom>`;
    const c = get(id);
    c.message = f;
    let prev: Container | null = null;
    for (const ref of f.references) {
      const r = get(ref);
      if (prev) link(prev, r);
      prev = r;
    }
    if (prev && prev !== c && !isAncestor(c, prev)) {
      if (c.parent) c.parent.children = c.parent.children.filter((x) => x !== c);
      c.parent = null;
      link(prev, c);
    }
  }
  // Steps 2–4: the roots, with empty containers pruned or promoted.
  const prune = (c: Container): Container[] => {
    c.children = c.children.flatMap(prune);
    if (c.message) return [c];
    if (c.children.length === 0) return [];
    // An empty container's children move up, except a lone child of a root stays (step 4.B).
    return c.parent === null && c.children.length > 1 ? [c] : c.children;
  };
  const roots = [...table.values()].filter((c) => c.parent === null).flatMap((c) => {
    const kept = prune(c);
    for (const k of kept) k.parent = null;
    return kept;
  });
  // Step 5: merge roots with the same base subject.
  const toNode = (c: Container): ThreadNode => ({ message: c.message, children: c.children.map(toNode) });
  const bySubject = new Map<string, ThreadNode>();
  const result: ThreadNode[] = [];
  for (const root of roots.map(toNode)) {
    const subject = root.message?.subject ?? root.children[0]?.message?.subject ?? '';
    const key = baseSubject(subject);
    const existing = key === '' ? undefined : bySubject.get(key);
    if (!existing) {
      if (key !== '') bySubject.set(key, root);
      result.push(root);
      continue;
    }
    if (existing.message === null && root.message === null) existing.children.push(...root.children);
    else if (existing.message === null) existing.children.push(root);
    else if (root.message !== null && isReplyOrForward(root.message.subject) && !isReplyOrForward(existing.message.subject)) existing.children.push(root);
    else {
      const merged: ThreadNode = { message: null, children: [existing, root] };
      result[result.indexOf(existing)] = merged;
      bySubject.set(key, merged);
    }
  }
  // Step 6: siblings in date order.
  const sortTree = (n: ThreadNode) => {
    n.children.sort(byDate);
    n.children.forEach(sortTree);
  };
  result.forEach(sortTree);
  return result.sort(byDate);
}

/** `(1 2 (3)(4 5))` per RFC 5256 §4: a chain is written flat, branches in parentheses. */
export function formatThreads(threads: ThreadNode[], number: (uid: number) => number): string {
  const write = (n: ThreadNode): string => {
    const parts: string[] = [];
    let node: ThreadNode | undefined = n;
    while (node) {
      if (node.message) parts.push(String(number(node.message.uid)));
      if (node.children.length === 1) node = node.children[0];
      else {
        if (node.children.length > 1) parts.push(node.children.map((c) => `(${write(c)})`).join(''));
        node = undefined;
      }
    }
    return parts.join(' ');
  };
  return threads.map((t) => `(${write(t)})`).join('');
}
