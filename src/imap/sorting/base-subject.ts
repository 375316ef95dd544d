// The "base subject" of RFC 5256 §2.1, used by SORT SUBJECT and THREAD: the decoded subject
// without reply and forward markers, so "Re: [list] Fwd: Lunch" sorts and threads with "Lunch".

const LEADER = /^(?:(?:re|fw|fwd|aw|wg|sv|vs|回覆|回复|答复|转发|轉寄)\s*(?:\[[^\]]*\]\s*)?[:：]\s*|\[[^\]]*\]\s*)/iu;

export function baseSubject(subject: string): string {
  let s = subject.replace(/[\t\r\n ]+/g, ' ').trim();
  for (;;) {
    const before = s;
    // subj-trailer: "(fwd)" at the end, repeatedly (§2.1 step 2).
    while (/\(fwd\)\s*$/i.test(s)) s = s.replace(/\s*\(fwd\)\s*$/i, '').trim();
    // subj-leader and blob prefixes (step 5), but never down to nothing (step 4 keeps a blob).
    for (;;) {
      const m = LEADER.exec(s);
      if (!m || m[0].length === s.length) break;
      s = s.slice(m[0].length).trim();
    }
    // "[fwd: subject]" wrapper (step 6).
    const wrapped = /^\[fwd:\s*(.*)\]$/i.exec(s);
    if (wrapped) s = wrapped[1]!.trim();
    if (s === before) break;
  }
  return s.toLowerCase();
}

/** True when the subject showed it was a reply or forward (threading needs it). */
export function isReplyOrForward(subject: string): boolean {
  const s = subject.replace(/[\t\r\n ]+/g, ' ').trim();
  return LEADER.test(s) || /\(fwd\)\s*$/i.test(s) || /^\[fwd:/i.test(s);
}
