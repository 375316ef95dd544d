// SORT ordering (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO): compare by each criterion in
// turn, ties broken by arrival order (sequence number order, which is UID order here).
import type { SortCriterion } from '../protocol/index.ts';
import { baseSubject } from './base-subject.ts';
import type { MessageFacts } from './message-facts.ts';

const collator = new Intl.Collator('en', { sensitivity: 'base' });

function compareBy(key: SortCriterion['key'], a: MessageFacts, b: MessageFacts): number {
  switch (key) {
    case 'ARRIVAL': return a.arrival - b.arrival;
    case 'DATE': return a.sent - b.sent;
    case 'SIZE': return a.size - b.size;
    case 'SUBJECT': return collator.compare(baseSubject(a.subject), baseSubject(b.subject));
    case 'FROM': return collator.compare(a.from.mailbox, b.from.mailbox);
    case 'TO': return collator.compare(a.to.mailbox, b.to.mailbox);
    case 'CC': return collator.compare(a.cc.mailbox, b.cc.mailbox);
    case 'DISPLAYFROM': return collator.compare(a.from.display, b.from.display);
    case 'DISPLAYTO': return collator.compare(a.to.display, b.to.display);
  }
}

export function sortMessages(facts: MessageFacts[], criteria: readonly SortCriterion[]): MessageFacts[] {
  return [...facts].sort((a, b) => {
    for (const c of criteria) {
      const d = compareBy(c.key, a, b);
      if (d !== 0) return c.reverse ? -d : d;
    }
    return a.uid - b.uid;
  });
}
