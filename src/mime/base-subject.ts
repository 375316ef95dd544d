// The "base subject" of RFC 5256 §2.1, used by SORT SUBJECT and both THREAD algorithms: the
// decoded subject without reply and forward markers, so "Re: [list] Fwd: Lunch" sorts and
// threads with "Lunch". Only the RFC's markers count ("re", "fw", "fwd", "(fwd)", "[fwd: …]");
// localized ones such as "AW:" are part of the subject, as in other IMAP servers.
//
// The steps run over two indices into the text instead of slicing it, and every step either
// moves an index or ends its loop, so a hostile subject of repeated markers costs linear time.

export interface BaseSubject {
  /** The base subject, in the case it was written (compare it through casemapKey). */
  text: string;
  /** A reply or forward marker was removed (REFERENCES step 5 needs it). */
  replyOrForward: boolean;
}

const isSpace = (c: number) => c === 0x20;

/** Step 1: tabs, line breaks and runs of blanks become one space (a linear, non-backtracking pattern). */
function packWhitespace(subject: string): string {
  return subject.replace(/[\t\r\n ]+/g, ' ');
}

/** `word` (lower case) at s[at], ASCII letters compared without case. */
function startsWithWord(s: string, at: number, end: number, word: string): boolean {
  if (end - at < word.length) return false;
  for (let i = 0; i < word.length; i++) {
    const c = s.charCodeAt(at + i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * subj-blob = "[" *BLOBCHAR "]" *WSP, BLOBCHAR being any CHAR but "[" and "]". Returns the
 * index after it, or -1.
 */
function blobEnd(s: string, at: number, end: number): number {
  if (at >= end || s.charCodeAt(at) !== 0x5b) return -1;
  let i = at + 1;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5d) break;
    if (c === 0x5b) return -1;
  }
  if (i >= end) return -1;
  i++;
  while (i < end && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":". Returns the index after it, or -1. */
function refwdEnd(s: string, at: number, end: number): number {
  let i: number;
  if (startsWithWord(s, at, end, 're')) i = at + 2;
  else if (startsWithWord(s, at, end, 'fwd')) i = at + 3;
  else if (startsWithWord(s, at, end, 'fw')) i = at + 2;
  else return -1;
  while (i < end && isSpace(s.charCodeAt(i))) i++;
  const blob = blobEnd(s, i, end);
  if (blob >= 0) i = blob;
  return i < end && s.charCodeAt(i) === 0x3a ? i + 1 : -1;
}

export function extractBaseSubject(subject: string): BaseSubject {
  const s = packWhitespace(subject);
  let start = 0;
  let end = s.length;
  let replyOrForward = false;
  for (;;) {
    // (2) Trailing subj-trailer = "(fwd)" / WSP, as often as it matches.
    for (;;) {
      if (end > start && isSpace(s.charCodeAt(end - 1))) end--;
      else if (end - start >= 5 && startsWithWord(s, end - 5, end, '(fwd)')) {
        end -= 5;
        replyOrForward = true;
      } else break;
    }
    // (3) subj-leader = (*subj-blob subj-refwd) / WSP, (4) a leading subj-blob when
    // something is left after it, and (5) both again until neither matches.
    for (;;) {
      if (start < end && isSpace(s.charCodeAt(start))) {
        start++;
        continue;
      }
      let afterBlobs = start;
      let lastBlob = -1;
      for (let next = blobEnd(s, afterBlobs, end); next >= 0; next = blobEnd(s, afterBlobs, end)) {
        lastBlob = afterBlobs;
        afterBlobs = next;
      }
      const refwd = refwdEnd(s, afterBlobs, end);
      if (refwd >= 0) {
        start = refwd;
        replyOrForward = true;
        continue;
      }
      // No reply marker follows these blobs, so step 3 cannot match at any of them: step 4
      // removes them one by one, keeping the last when nothing would be left after it.
      if (lastBlob >= 0) start = afterBlobs < end ? afterBlobs : lastBlob;
      break;
    }
    // (6) "[fwd:" … "]" around the rest: unwrap it and start over from step 2.
    if (end - start >= 6 && startsWithWord(s, start, end, '[fwd:') && s.charCodeAt(end - 1) === 0x5d) {
      start += 5;
      end -= 1;
      replyOrForward = true;
      continue;
    }
    return { text: s.slice(start, end), replyOrForward };
  }
}

/** The base subject text alone. */
export function baseSubject(subject: string): string {
  return extractBaseSubject(subject).text;
}
