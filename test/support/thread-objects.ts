// THREAD (RFC 5256 §2.2) the plain way: a Map of Message-ID strings and an object per
// container, each step as the RFC writes it. src/imap/sorting/thread.ts threads on numbered
// columns instead; the tests hold its answers to these on random reference graphs.
import { MAX_REFERENCES, compareKeys } from '../../src/mime/index.ts';
import type { ThreadMessage } from '../../src/imap/sorting/thread.ts';

/** A thread node; `message` is null for a dummy (a parent that is not in the result). */
export interface ThreadNode {
  message: ThreadMessage | null;
  /** Read only: add children with addChild (a node without children shares NO_CHILDREN). */
  children: ThreadNode[];
}

/**
 * The children of every node that has none: most messages have no replies, and an empty array
 * each is 100,000 allocations in a large folder. Frozen, so a push to it fails loudly.
 */
const NO_CHILDREN = Object.freeze([]) as unknown as ThreadNode[];

function addChild(parent: ThreadNode, child: ThreadNode): void {
  if (parent.children === NO_CHILDREN) parent.children = [child];
  else parent.children.push(child);
}

/** Sent date, then sequence (= UID) order: RFC 5256 §2.2 step 6 and ORDEREDSUBJECT. */
function compareMessages(a: ThreadMessage, b: ThreadMessage): number {
  return a.sent - b.sent || a.uid - b.uid;
}

/** A dummy sorts as its first child (the children are sorted first). */
function sortMessageOf(n: ThreadNode): ThreadMessage | null {
  return n.message ?? n.children[0]?.message ?? null;
}

function compareNodes(a: ThreadNode, b: ThreadNode): number {
  const x = sortMessageOf(a);
  const y = sortMessageOf(b);
  if (!x || !y) return x ? -1 : y ? 1 : 0;
  return compareMessages(x, y);
}

/** Sorts the siblings of every level by sent date (step 6), children before their parents. */
function sortTrees(roots: ThreadNode[]): void {
  // Only nodes with two or more children have anything to sort (most have none).
  const stack = [...roots];
  const order: ThreadNode[] = [];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.children.length > 1) order.push(n);
    for (const c of n.children) if (c.children.length > 0) stack.push(c);
  }
  for (let i = order.length - 1; i >= 0; i--) order[i]!.children.sort(compareNodes);
  roots.sort(compareNodes);
}

export function orderedSubjectObjects(messages: readonly ThreadMessage[]): ThreadNode[] {
  // Sorted by base subject, then sent date; each run of one subject is a thread whose first
  // message is the parent of all the others.
  const keyed = [...messages].sort((a, b) => compareKeys(a.subjectKey, b.subjectKey) || compareMessages(a, b));
  const threads: ThreadNode[] = [];
  let current: ThreadNode | null = null;
  let currentKey = '';
  for (const f of keyed) {
    if (current && f.subjectKey === currentKey) addChild(current, { message: f, children: NO_CHILDREN });
    else {
      current = { message: f, children: NO_CHILDREN };
      currentKey = f.subjectKey;
      threads.push(current);
    }
  }
  // Threads in the order of their first messages' sent dates.
  return threads.sort(compareNodes);
}

/**
 * A container of step 1, and the thread node it becomes in steps 2–4 (one object for both: a
 * large folder makes one per message and per referenced id). `children` are the node's, made
 * after the linking; the links of step 1 are `parent` and `childCount`.
 */
interface Container extends ThreadNode {
  parent: Container | null;
  /** How many containers have this one as their parent (only the count is ever read). */
  childCount: number;
}

function newContainer(): Container {
  return { message: null, children: NO_CHILDREN, parent: null, childCount: 0 };
}

/** True when `ancestor` is `node` or above it. */
function isAncestor(ancestor: Container, node: Container): boolean {
  for (let p: Container | null = node; p; p = p.parent) if (p === ancestor) return true;
  return false;
}

function unlink(child: Container): void {
  if (child.parent) child.parent.childCount--;
  child.parent = null;
}

/** Links parent → child unless that would make a loop (a link to itself included). */
function link(parent: Container, child: Container): void {
  // Only a container with children can be above its new parent; a new message has none, so a
  // long reply chain is linked without walking up it each time.
  if (parent === child || (child.childCount > 0 && isAncestor(child, parent))) return;
  child.parent = parent;
  parent.childCount++;
}

/** Step 1: the containers of all messages and referenced ids, linked into trees. */
function linkMessages(facts: readonly ThreadMessage[]): Container[] {
  const byId = new Map<string, Container>();
  const all: Container[] = [];
  const containerFor = (id: string): Container => {
    let c = byId.get(id);
    if (!c) {
      byId.set(id, (c = newContainer()));
      all.push(c);
    }
    return c;
  };
  // In UID order (the store reads them so; a copy is sorted only when they are not).
  let ascending = true;
  for (let i = 1; i < facts.length && ascending; i++) ascending = facts[i - 1]!.uid < facts[i]!.uid;
  for (const f of ascending ? facts : [...facts].sort((a, b) => a.uid - b.uid)) {
    // A missing Message-ID, or one an earlier message already has, gets a unique id (1.A).
    let own = f.messageId === null ? undefined : containerFor(f.messageId);
    if (!own || own.message) all.push((own = newContainer()));
    own.message = f;
    // 1.A: each reference is the parent of the next, unless it already has a parent.
    const refs = f.references;
    let previous: Container | null = null;
    for (let i = Math.max(0, refs.length - MAX_REFERENCES); i < refs.length; i++) {
      const ref = containerFor(refs[i]!);
      if (previous && ref.parent === null) link(previous, ref);
      previous = ref;
    }
    // 1.B: the last reference (or none) is the message's parent; a parent found through another
    // message's References gives way, even when the new link cannot be made for a loop.
    if (own.parent !== previous) {
      unlink(own);
      if (previous) link(previous, own);
    }
  }
  return all;
}

export function referencesObjects(facts: readonly ThreadMessage[]): ThreadNode[] {
  const containers = linkMessages(facts);
  // Steps 2–4: the root set, with dummies pruned. A message hangs under its nearest ancestor
  // that is a message; without one, under the top dummy. A top dummy stays only when it
  // holds two or more messages, as promoting them would make them roots.
  const tops: Container[] = [];
  for (const c of containers) {
    if (c.parent === null) {
      tops.push(c);
      continue;
    }
    if (!c.message) continue;
    let above = c.parent;
    while (!above.message && above.parent) above = above.parent;
    addChild(above, c);
  }
  let roots: ThreadNode[] = [];
  for (const c of tops) {
    if (c.message) roots.push(c);
    else if (c.children.length === 1) roots.push(c.children[0]!);
    else if (c.children.length > 1) roots.push(c);
  }
  // Step 5 reads a dummy root's subject from its first child and keeps, of equal roots, the first
  // in date order: those children and the roots are sorted now, everything once more after it.
  for (const r of roots) if (!r.message) r.children.sort(compareNodes);
  roots.sort(compareNodes);
  roots = mergeBySubject(roots);
  // Step 6: siblings, and the threads, in sent date order.
  sortTrees(roots);
  return roots;
}

/** Step 5: threads whose base subjects match are gathered under one root. */
function mergeBySubject(roots: ThreadNode[]): ThreadNode[] {
  interface Root { node: ThreadNode; key: string; replyOrForward: boolean; gone: boolean }
  const entries: Root[] = roots.map((node) => {
    // 5.B.i: the thread subject is the root's, or for a dummy its first child's.
    const first = sortMessageOf(node);
    return { node, key: first?.subjectKey ?? '', replyOrForward: first?.replyOrForward ?? false, gone: false };
  });
  // 5.B: one root per subject: a dummy if there is one, else a root that is not a reply.
  const table = new Map<string, Root>();
  for (const e of entries) {
    if (e.key === '') continue;
    const held = table.get(e.key);
    if (!held) table.set(e.key, e);
    else if (held.node.message !== null && (e.node.message === null || (held.replyOrForward && !e.replyOrForward))) table.set(e.key, e);
  }
  // 5.C: every other root with that subject joins it.
  const added: Root[] = [];
  for (const cur of entries) {
    if (cur.key === '') continue;
    const held = table.get(cur.key)!;
    if (held === cur) continue;
    cur.gone = true;
    if (cur.node.message === null) {
      // Both dummies (5.B put a dummy in the table): the children become siblings.
      for (const child of cur.node.children) addChild(held.node, child);
    } else if (held.node.message === null || (cur.replyOrForward && !held.replyOrForward)) {
      addChild(held.node, cur.node);
    } else {
      const dummy: Root = { node: { message: null, children: [held.node, cur.node] }, key: cur.key, replyOrForward: false, gone: false };
      held.gone = true;
      table.set(cur.key, dummy);
      added.push(dummy);
    }
  }
  return [...entries, ...added].filter((e) => !e.gone).map((e) => e.node);
}

const OPEN = -1;
const CLOSE = -2;

/**
 * The answer's shape as tokens — UIDs and parentheses — so that it can be kept (thread-cache.ts)
 * and written again with UIDs or with sequence numbers, which change with every expunge.
 */
export function threadTokensOfObjects(threads: readonly ThreadNode[]): Float64Array {
  let tokens = new Float64Array(1024);
  let length = 0;
  const push = (token: number) => {
    if (length === tokens.length) {
      const grown = new Float64Array(tokens.length * 2);
      grown.set(tokens);
      tokens = grown;
    }
    tokens[length++] = token;
  };
  // Iterative: each stack entry is a parenthesis to write or a node to open.
  const stack: (number | ThreadNode)[] = [];
  for (let i = threads.length - 1; i >= 0; i--) stack.push(CLOSE, threads[i]!, OPEN);
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === 'number') {
      push(item);
      continue;
    }
    // A chain of only children is written flat: "1 2 3".
    let node = item;
    while (node.children.length === 1 && node.message) {
      push(node.message.uid);
      node = node.children[0]!;
    }
    if (node.message) push(node.message.uid);
    const branches = node.children.length > 1 || !node.message ? node.children : [];
    // A single child under a dummy cannot happen (pruned), but would be written as a branch.
    for (let i = branches.length - 1; i >= 0; i--) stack.push(CLOSE, branches[i]!, OPEN);
  }
  return tokens.slice(0, length);
}

