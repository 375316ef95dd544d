// SORT ordering (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO): compare by each criterion in
// turn, strings in i;unicode-casemap order; ties are broken by sequence number order (UID
// order here), which REVERSE does not turn round (RFC 5256 §3: REVERSE applies to its key).
// This is the reference order: SORT itself asks the store (MailStore.sortedUids), which orders
// by key columns made with the same functions (src/mime/sort-keys.ts).
import type { SortCriterion, SortKey } from '../protocol/index.ts';
import { casemapKey, compareKeys, subjectKey, type MessageFacts } from '../../mime/index.ts';

type Key = number | string;

function keyOf(key: SortKey, f: MessageFacts): Key {
  switch (key) {
    case 'ARRIVAL': return f.arrival;
    case 'DATE': return f.sent;
    case 'SIZE': return f.size;
    case 'SUBJECT': return subjectKey(f.subject).key;
    case 'FROM': return casemapKey(f.from.mailbox);
    case 'TO': return casemapKey(f.to.mailbox);
    case 'CC': return casemapKey(f.cc.mailbox);
    case 'DISPLAYFROM': return casemapKey(f.from.display);
    case 'DISPLAYTO': return casemapKey(f.to.display);
  }
}

function compare(a: Key, b: Key): number {
  return typeof a === 'number' ? a - (b as number) : compareKeys(a, b as string);
}

export function sortMessages(facts: readonly MessageFacts[], criteria: readonly SortCriterion[]): MessageFacts[] {
  // Keys are computed once per message, not once per comparison.
  const rows = facts.map((f) => ({ f, keys: criteria.map((c) => keyOf(c.key, f)) }));
  rows.sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const d = compare(a.keys[i]!, b.keys[i]!);
      if (d !== 0) return criteria[i]!.reverse ? -d : d;
    }
    return a.f.uid - b.f.uid;
  });
  return rows.map((r) => r.f);
}
