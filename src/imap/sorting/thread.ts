// THREAD (RFC 5256 §3): ORDEREDSUBJECT groups by base subject; REFERENCES builds the tree from
// Message-ID and References (§2.2 steps 1–6), then merges threads by subject.
//
// Both thread the store's numbered columns (src/store/thread-keys.ts): a Message-ID is a
// number, so a container is an index into typed arrays and the step-1 table is the id itself.
// At 100,000 messages that is a few megabytes of arrays in place of a Map of strings and an
// object per container. The tree is walked without recursion, so a reply chain thousands of
// messages deep cannot exhaust the stack.
import { MAX_REFERENCES, compareKeys, subjectKey, type MessageFacts } from '../../mime/index.ts';
import { lowerBound } from '../../lib/sorted-search.ts';
import { ThreadKeys, type ThreadColumns, type ThreadKeyMessage } from '../../store/thread-keys.ts';

export type { ThreadColumns };

/** A message's thread keys as objects (the tests, and headers read without the store's columns). */
export type ThreadMessage = ThreadKeyMessage;

/** The thread view of header facts read from a message. */
export function threadMessage(f: MessageFacts): ThreadMessage {
  const subject = subjectKey(f.subject);
  return { uid: f.uid, sent: f.sent, subjectKey: subject.key, replyOrForward: subject.replyOrForward, messageId: f.messageId, references: f.references };
}

/** Messages as columns, for callers that hold them as objects. */
export function threadColumns(messages: readonly ThreadMessage[]): ThreadColumns {
  return ThreadKeys.fromMessages(messages).columns(messages.map((m) => m.uid).sort((a, b) => a - b));
}

const NONE = -1;

/**
 * Typed arrays kept from one THREAD to the next: a large folder's threading needs a few
 * megabytes of them, and allocating them each time cost more than the threading's own steps
 * (the allocation, and the garbage collections it brings on). Threading is synchronous, so
 * one set serves every session; it is let go a few seconds after the last THREAD.
 */
class Scratch {
  private arrays: Int32Array[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** Array number `slot`, `size` long, every element `fill`. */
  take(slot: number, size: number, fill: number): Int32Array {
    let array = this.arrays[slot];
    if (!array || array.length < size) this.arrays[slot] = array = new Int32Array(Math.ceil(size * 1.25));
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => {
        this.arrays = [];
        this.timer = null;
      }, SCRATCH_KEPT_MS);
      this.timer.unref();
    }
    const part = array.subarray(0, size);
    part.fill(fill);
    return part;
  }
}

const SCRATCH_KEPT_MS = 5000;
const scratch = new Scratch();
const enum Slot { Message, FirstChild, NextSibling, ChildCount, Rank, NodeAtRank, Parent, LinkedChildren, Table, Entries }

/**
 * Each message's place in sent date, then UID order (RFC 5256 §2.2 step 6, ORDEREDSUBJECT):
 * a permutation of 0..n-1. With it every sort of THREAD is a numeric sort of typed arrays (a
 * native sort, without a comparison function called from it).
 */
function sentRanks(c: ThreadColumns): Int32Array {
  const n = c.length;
  const rank = scratch.take(Slot.Rank, n, 0);
  if (n === 0) return rank;
  // Dates from headers are whole seconds. When every date is, and date × 2^bits + index fits
  // a double exactly (in seconds, centuries of mail at a million messages), one sort of those
  // numbers gives the order; otherwise the dates are sorted and each message looks its up.
  let min = Infinity;
  let max = -Infinity;
  let wholeSeconds = true;
  for (let i = 0; i < n; i++) {
    const sent = c.sent[i]!;
    if (sent < min) min = sent;
    if (sent > max) max = sent;
    if (wholeSeconds && sent % 1000 !== 0) wholeSeconds = false;
  }
  const unit = wholeSeconds ? 1000 : 1;
  const shift = 2 ** Math.ceil(Math.log2(n + 1));
  if (((max - min) / unit + 1) * shift <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = ((c.sent[i]! - min) / unit) * shift + i;
    keys.sort();
    for (let k = 0; k < n; k++) rank[keys[k]! % shift] = k;
    return rank;
  }
  const sorted = c.sent.slice().sort();
  // Equal dates take places in UID order: the columns are in UID order, so each run of equal
  // dates hands out its places in turn (`taken` counts them at the run's start).
  const taken = scratch.take(Slot.NodeAtRank, n, 0);
  for (let i = 0; i < n; i++) {
    const first = lowerBound(sorted, n, c.sent[i]!);
    rank[i] = first + taken[first]!++;
  }
  return rank;
}

/**
 * The thread tree under construction. A node is a number (see references()); `message[node]`
 * is the message's index in the columns, or NONE for a dummy. Children are a linked list; they
 * are put in order by sortChildren (each list that has more than one child is, before the end).
 */
class Forest {
  readonly message: Int32Array;
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  readonly childCount: Int32Array;
  /** Each message's place in sent date order (sentRanks). */
  readonly rank: Int32Array;
  private readonly nodeAtRank: Int32Array;
  private ranks = new Int32Array(64);

  constructor(size: number, private readonly columns: ThreadColumns) {
    this.message = scratch.take(Slot.Message, size, NONE);
    this.firstChild = scratch.take(Slot.FirstChild, size, NONE);
    this.nextSibling = scratch.take(Slot.NextSibling, size, NONE);
    this.childCount = scratch.take(Slot.ChildCount, size, 0);
    this.rank = sentRanks(columns);
    // Read only where sortNodes has just written.
    this.nodeAtRank = scratch.take(Slot.NodeAtRank, columns.length, 0);
  }

  /** Adds a child at the front of the list (sortChildren puts the list in order). */
  addChild(parent: number, child: number): void {
    this.nextSibling[child] = this.firstChild[parent]!;
    this.firstChild[parent] = child;
    this.childCount[parent]!++;
  }

  /** The message a node sorts as: its own, or a dummy's first child's (children sorted first). */
  sortMessage(node: number): number {
    const own = this.message[node]!;
    if (own !== NONE) return own;
    const first = this.firstChild[node]!;
    return first === NONE ? NONE : this.message[first]!;
  }

  /**
   * Puts nodes in the order of their sort messages' sent dates, then UIDs. In one list no two
   * nodes sort as the same message (a dummy sorts as its first child, which is not its sibling),
   * so the ranks are distinct and say which node each is.
   */
  sortNodes(nodes: number[]): void {
    const count = nodes.length;
    if (count < 2) return;
    if (this.ranks.length < count) this.ranks = new Int32Array(count * 2);
    const ranks = this.ranks.subarray(0, count);
    for (let k = 0; k < count; k++) {
      const m = this.sortMessage(nodes[k]!);
      // A node with no message under it cannot be in a list (dummies without children are
      // pruned).
      if (m === NONE) throw new Error('THREAD: an empty dummy among the nodes to sort');
      ranks[k] = this.rank[m]!;
      this.nodeAtRank[this.rank[m]!] = nodes[k]!;
    }
    ranks.sort();
    for (let k = 0; k < count; k++) nodes[k] = this.nodeAtRank[ranks[k]!]!;
  }

  sortChildren(node: number, list: number[] = []): void {
    if (this.childCount[node]! < 2) return;
    list.length = 0;
    for (let c = this.firstChild[node]!; c !== NONE; c = this.nextSibling[c]!) list.push(c);
    this.sortNodes(list);
    this.firstChild[node] = list[0]!;
    for (let i = 1; i < list.length; i++) this.nextSibling[list[i - 1]!] = list[i]!;
    this.nextSibling[list[list.length - 1]!] = NONE;
  }

  /** Step 6: siblings at every level by sent date, children before their parents, then the roots. */
  sortTrees(roots: number[]): void {
    // Only nodes with two or more children have anything to sort (most have none).
    const stack = [...roots];
    const order: number[] = [];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (this.childCount[n]! > 1) order.push(n);
      for (let c = this.firstChild[n]!; c !== NONE; c = this.nextSibling[c]!) if (this.childCount[c]! > 0) stack.push(c);
    }
    const list: number[] = [];
    for (let i = order.length - 1; i >= 0; i--) this.sortChildren(order[i]!, list);
    this.sortNodes(roots);
  }

  /**
   * The answer's shape as tokens — UIDs, OPEN and CLOSE — so that it can be kept
   * (thread-cache.ts) and written again with UIDs or with sequence numbers.
   */
  tokens(roots: readonly number[]): Float64Array {
    const uids = this.columns.uids;
    let tokens = new Float64Array(Math.max(16, this.columns.length * 3));
    let length = 0;
    const push = (token: number) => {
      if (length === tokens.length) {
        const more = new Float64Array(tokens.length * 2);
        more.set(tokens);
        tokens = more;
      }
      tokens[length++] = token;
    };
    // Each stack entry is a parenthesis to write (OPEN, CLOSE: negative) or a node to open.
    const stack: number[] = [];
    const branches: number[] = [];
    for (let i = roots.length - 1; i >= 0; i--) stack.push(CLOSE, roots[i]!, OPEN);
    while (stack.length > 0) {
      const item = stack.pop()!;
      if (item < 0) {
        push(item);
        continue;
      }
      // A chain of only children is written flat: "1 2 3".
      let node = item;
      while (this.childCount[node] === 1 && this.message[node] !== NONE) {
        push(uids[this.message[node]!]!);
        node = this.firstChild[node]!;
      }
      if (this.message[node] !== NONE) push(uids[this.message[node]!]!);
      if (this.childCount[node]! > 1 || this.message[node] === NONE) {
        branches.length = 0;
        for (let c = this.firstChild[node]!; c !== NONE; c = this.nextSibling[c]!) branches.push(c);
        for (let i = branches.length - 1; i >= 0; i--) stack.push(CLOSE, branches[i]!, OPEN);
      }
    }
    return tokens.slice(0, length);
  }
}

/** ORDEREDSUBJECT: the answer as tokens (Forest.tokens). */
export function orderedSubject(c: ThreadColumns): Float64Array {
  const n = c.length;
  const forest = new Forest(n, c);
  // The subjects present, in i;unicode-casemap order: a place each.
  const present: number[] = [];
  const place = scratch.take(Slot.Table, c.subjectTexts.length, NONE);
  for (let i = 0; i < n; i++) {
    const s = c.subjects[i]!;
    if (place[s] === NONE) {
      place[s] = 0;
      present.push(s);
    }
  }
  present.sort((a, b) => compareKeys(c.subjectTexts[a]!, c.subjectTexts[b]!));
  for (const [k, s] of present.entries()) place[s] = k;
  // Sorted by base subject, then sent date (subject place × n + date place: distinct, and
  // exact in a double up to 2^53); each run of one subject is a thread whose first message is
  // the parent of all the others. Node i is message i.
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = place[c.subjects[i]!]! * n + forest.rank[i]!;
  keys.sort();
  const byRank = scratch.take(Slot.Entries, n, 0);
  for (let i = 0; i < n; i++) byRank[forest.rank[i]!] = i;
  const threads: number[] = [];
  for (let start = 0; start < n;) {
    const parent = byRank[keys[start]! % n]!;
    let end = start + 1;
    while (end < n && Math.floor(keys[end]! / n) === Math.floor(keys[start]! / n)) end++;
    forest.message[parent] = parent;
    // Added last first: addChild puts each at the front.
    for (let k = end - 1; k > start; k--) {
      const child = byRank[keys[k]! % n]!;
      forest.message[child] = child;
      forest.addChild(parent, child);
    }
    threads.push(parent);
    start = end;
  }
  // Threads in the order of their first messages' sent dates.
  forest.sortNodes(threads);
  return forest.tokens(threads);
}

/** REFERENCES: the answer as tokens (Forest.tokens). */
export function references(c: ThreadColumns): Float64Array {
  const n = c.length;
  // Nodes: 1..idCount are the containers of Message-IDs (step 1's table is the id), then one
  // for each message whose id is missing or taken, then the dummies step 5 adds.
  const size = c.idCount + 1 + 2 * n;
  const forest = new Forest(size, c);
  const { message } = forest;
  // Step 1's links: the container's parent and how many containers have it as theirs.
  const parent = scratch.take(Slot.Parent, size, NONE);
  const linkedChildren = scratch.take(Slot.LinkedChildren, size, 0);
  const isAncestor = (ancestor: number, node: number): boolean => {
    for (let p = node; p !== NONE; p = parent[p]!) if (p === ancestor) return true;
    return false;
  };
  // Links parent → child unless that would make a loop (a link to itself included). Only a
  // container with children can be above its new parent; a new message has none, so a long
  // reply chain is linked without walking up it each time.
  const link = (p: number, child: number) => {
    if (p === child || (linkedChildren[child]! > 0 && isAncestor(child, p))) return;
    parent[child] = p;
    linkedChildren[p]!++;
  };
  let next = c.idCount + 1;
  // Step 1, in UID order (the columns' order).
  for (let i = 0; i < n; i++) {
    // A missing Message-ID, or one an earlier message already has, gets a unique id (1.A).
    let own = c.messageIds[i]!;
    if (own === 0 || message[own] !== NONE) own = next++;
    message[own] = i;
    // 1.A: each reference is the parent of the next, unless it already has a parent.
    const end = c.refStarts[i + 1]!;
    let previous = NONE;
    for (let r = Math.max(c.refStarts[i]!, end - MAX_REFERENCES); r < end; r++) {
      const ref = c.refs[r]!;
      if (previous !== NONE && parent[ref] === NONE) link(previous, ref);
      previous = ref;
    }
    // 1.B: the last reference (or none) is the message's parent; a parent found through another
    // message's References gives way, even when the new link cannot be made for a loop.
    if (parent[own] !== previous) {
      if (parent[own] !== NONE) linkedChildren[parent[own]!]!--;
      parent[own] = NONE;
      if (previous !== NONE) link(previous, own);
    }
  }
  // Steps 2–4: the root set, with dummies pruned. A message hangs under its nearest ancestor
  // that is a message; without one, under the top dummy. A top dummy stays only when it holds
  // two or more messages, as promoting them would make them roots. (Ids no message of these
  // mentions are tops without children, and drop out.)
  const tops: number[] = [];
  for (let k = 1; k < next; k++) {
    if (parent[k] === NONE) {
      tops.push(k);
      continue;
    }
    if (message[k] === NONE) continue;
    let above = parent[k]!;
    while (message[above] === NONE && parent[above] !== NONE) above = parent[above]!;
    forest.addChild(above, k);
  }
  const roots: number[] = [];
  for (const t of tops) {
    if (message[t] !== NONE) roots.push(t);
    else if (forest.childCount[t] === 1) roots.push(forest.firstChild[t]!);
    else if (forest.childCount[t]! > 1) roots.push(t);
  }
  // Step 5 reads a dummy root's subject from its first child and keeps, of equal roots, the first
  // in date order: those children and the roots are sorted now, everything once more after it.
  for (const r of roots) if (message[r] === NONE) forest.sortChildren(r);
  forest.sortNodes(roots);
  const merged = mergeBySubject(forest, c, roots, next);
  // Step 6: siblings, and the threads, in sent date order.
  forest.sortTrees(merged);
  return forest.tokens(merged);
}

/** Step 5: threads whose base subjects match are gathered under one root. */
function mergeBySubject(forest: Forest, c: ThreadColumns, roots: readonly number[], firstFreeNode: number): number[] {
  const { message } = forest;
  // Entries: the roots, then the dummies 5.C makes (at most one for every two roots). Each has
  // a node, a subject, whether that subject had a reply marker, and whether it is gone.
  const count = roots.length;
  const node = scratch.take(Slot.Entries, count + (count >> 1) + 1, NONE);
  const key = new Uint32Array(node.length);
  const flags = new Uint8Array(node.length);
  const REPLY = 1;
  const GONE = 2;
  for (let e = 0; e < count; e++) {
    const r = roots[e]!;
    node[e] = r;
    // 5.B.i: the thread subject is the root's, or for a dummy its first child's.
    const first = forest.sortMessage(r);
    if (first !== NONE) {
      key[e] = c.subjects[first]!;
      if (c.replies[first] === 1) flags[e] = REPLY;
    }
  }
  const isMessage = (e: number) => message[node[e]!] !== NONE;
  const isReply = (e: number) => (flags[e]! & REPLY) !== 0;
  // 5.B: one root per subject: a dummy if there is one, else a root that is not a reply.
  const table = scratch.take(Slot.Table, c.subjectTexts.length, NONE);
  for (let e = 0; e < count; e++) {
    if (key[e] === 0) continue;
    const held = table[key[e]!]!;
    if (held === NONE) table[key[e]!] = e;
    else if (isMessage(held) && (!isMessage(e) || (isReply(held) && !isReply(e)))) table[key[e]!] = e;
  }
  // 5.C: every other root with that subject joins it.
  let entries = count;
  let nextNode = firstFreeNode;
  for (let cur = 0; cur < count; cur++) {
    if (key[cur] === 0) continue;
    const held = table[key[cur]!]!;
    if (held === cur) continue;
    flags[cur]! |= GONE;
    if (!isMessage(cur)) {
      // Both dummies (5.B put a dummy in the table): the children become siblings.
      for (let child = forest.firstChild[node[cur]!]!; child !== NONE;) {
        const after = forest.nextSibling[child]!;
        forest.addChild(node[held]!, child);
        child = after;
      }
    } else if (!isMessage(held) || (isReply(cur) && !isReply(held))) {
      forest.addChild(node[held]!, node[cur]!);
    } else {
      const dummy = nextNode++;
      forest.addChild(dummy, node[cur]!);
      forest.addChild(dummy, node[held]!);
      flags[held]! |= GONE;
      node[entries] = dummy;
      key[entries] = key[cur]!;
      table[key[cur]!] = entries++;
    }
  }
  const kept: number[] = [];
  for (let e = 0; e < entries; e++) if ((flags[e]! & GONE) === 0) kept.push(node[e]!);
  return kept;
}

/** In a thread token list: an opening and a closing parenthesis; every other token is a UID. */
const OPEN = -1;
const CLOSE = -2;

/**
 * `(1 2 (3)(4 5))` per RFC 5256 §4: a chain is written flat, branches in parentheses. A space
 * goes before a number or an opening parenthesis that follows a number.
 */
export function renderThreads(tokens: Float64Array, number: (uid: number) => number): string {
  // One string grows (V8 joins the pieces once, when it is read), not a string per message.
  let out = '';
  let afterNumber = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === CLOSE) {
      out += ')';
      afterNumber = false;
    } else if (token === OPEN) {
      out += afterNumber ? ' (' : '(';
      afterNumber = false;
    } else {
      out += afterNumber ? ` ${number(token)}` : `${number(token)}`;
      afterNumber = true;
    }
  }
  return out;
}
