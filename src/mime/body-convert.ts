// Body text conversions for MessageRetrievalMimeFormat: HTML to plain text, plain text to HTML,
// and both to and from text/enriched (RFC 1896). Pure string functions.
//
// Every function walks its input once with indexOf and character tests, no regular
// expressions: the input is whatever a sender put in a message. Output is bounded by a small
// multiple of the input (an escaped "<" becomes "&lt;" or "<<", a line break "<br>\r\n").
import { HTML_ENTITIES } from './html-entities.ts';

/**
 * Entities as HTML defines them: &nbsp; stays a no-break space, since the converted body is read
 * by people and a no-break space must still keep its words together.
 */
const ENTITIES = HTML_ENTITIES;

const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;

/** Decodes character references in HTML text: &name; &#123; &#x1F600; (at most 10 characters looked at each). */
export function decodeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  let out = '';
  let from = 0;
  for (let amp = text.indexOf('&'); amp >= 0; amp = text.indexOf('&', amp + 1)) {
    let end = amp + 1;
    let decoded: string | undefined;
    if (text.charCodeAt(end) === 0x23) {
      end++;
      const hex = text.charCodeAt(end) === 0x78 || text.charCodeAt(end) === 0x58;
      if (hex) end++;
      const start = end;
      while (end - start < 7 && end < text.length && (hex ? isHex(text.charCodeAt(end)) : isDigit(text.charCodeAt(end)))) end++;
      if (end > start) {
        const cp = Number.parseInt(text.slice(start, end), hex ? 16 : 10);
        decoded = cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp);
      }
    } else {
      const start = end;
      while (end - start < 8 && end < text.length && isAlpha(text.charCodeAt(end))) end++;
      decoded = ENTITIES[text.slice(start, end)];
    }
    if (decoded === undefined) continue;
    if (text.charCodeAt(end) === 0x3b) end++;
    out += text.slice(from, amp) + decoded;
    from = end;
    amp = end - 1;
  }
  return out + text.slice(from);
}

/** What an HTML walk produces; plain text and text/enriched each implement it. */
interface TextSink {
  /** Running text; whitespace already collapsed unless inside <pre> (`pre`). */
  text(s: string, pre?: boolean): void;
  /** A line break: always for <br>; for a block boundary only when the current line has text. */
  lineBreak(always: boolean): void;
  /** A paragraph boundary: at most one empty line, never at the start. */
  paragraph(): void;
  /** Formatting that text/enriched can carry: bold, italic, underline, fixed. */
  style(name: string, open: boolean): void;
}

const PARAGRAPH_TAGS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'table', 'ul', 'ol', 'hr', 'dl']);
const LINE_TAGS = new Set(['div', 'tr', 'li', 'dd', 'dt', 'section', 'article', 'header', 'footer', 'address', 'center', 'caption']);
const SKIP_CONTENT = new Set(['script', 'style', 'head', 'title', 'xml', 'template', 'noscript', 'object']);
const STYLE_TAGS: Record<string, string> = { b: 'bold', strong: 'bold', i: 'italic', em: 'italic', u: 'underline', tt: 'fixed', code: 'fixed' };

/** Reads a tag name at `i` (just after "<" or "</"); lower-cased, or '' when none. */
function tagName(html: string, i: number): string {
  let end = i;
  while (end < html.length && end - i < 32) {
    const c = html.charCodeAt(end);
    if (isAlpha(c) || (end > i && (isDigit(c) || c === 0x2d || c === 0x3a))) end++;
    else break;
  }
  return html.slice(i, end).toLowerCase();
}

/** The value of attribute `name` inside a tag's text (between the name and ">"), if quoted or bare. */
function attribute(tag: string, name: string): string | null {
  const lower = tag.toLowerCase();
  for (let at = lower.indexOf(name); at >= 0; at = lower.indexOf(name, at + 1)) {
    if (at > 0 && !isSpace(lower.charCodeAt(at - 1))) continue;
    let i = at + name.length;
    while (i < tag.length && isSpace(tag.charCodeAt(i))) i++;
    if (tag[i] !== '=') continue;
    i++;
    while (i < tag.length && isSpace(tag.charCodeAt(i))) i++;
    const quote = tag[i];
    if (quote === '"' || quote === "'") {
      const end = tag.indexOf(quote, i + 1);
      return end < 0 ? tag.slice(i + 1) : tag.slice(i + 1, end);
    }
    let end = i;
    while (end < tag.length && !isSpace(tag.charCodeAt(end)) && tag[end] !== '>') end++;
    return tag.slice(i, end);
  }
  return null;
}

/**
 * Walks HTML once: tags become line breaks, paragraphs and styles; script, style and head
 * content and comments are dropped; links keep their address after the text when it differs.
 * Linear: every search starts where the last one ended, and an unclosed "<" or comment ends
 * the markup handling (the rest is text, or dropped for a comment).
 */
function walkHtml(html: string, sink: TextSink): void {
  const lower = html.toLowerCase();
  let i = 0;
  let pre = 0;
  let pendingSpace = false;
  const links: (string | null)[] = [];
  let linkText = '';
  const emit = (raw: string) => {
    const decoded = decodeHtmlEntities(raw);
    if (pre > 0) {
      sink.text(decoded, true);
      return;
    }
    let word = '';
    for (let k = 0; k < decoded.length; k++) {
      const c = decoded.charCodeAt(k);
      if (isSpace(c)) {
        if (word) {
          sink.text((pendingSpace ? ' ' : '') + word);
          if (links.length > 0) linkText += word;
          word = '';
          pendingSpace = false;
        }
        pendingSpace = true;
      } else {
        word += decoded[k];
      }
    }
    if (word) {
      sink.text((pendingSpace ? ' ' : '') + word);
      if (links.length > 0) linkText += word;
      pendingSpace = false;
    }
  };
  const lineBreak = (always: boolean) => {
    pendingSpace = false;
    sink.lineBreak(always);
  };
  const paragraph = () => {
    pendingSpace = false;
    sink.paragraph();
  };
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      emit(html.slice(i));
      break;
    }
    if (lt > i) emit(html.slice(i, lt));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      if (end < 0) break;
      i = end + 3;
      continue;
    }
    const closing = html.charCodeAt(lt + 1) === 0x2f;
    const name = tagName(html, lt + (closing ? 2 : 1));
    const bang = html.charCodeAt(lt + 1) === 0x21 || html.charCodeAt(lt + 1) === 0x3f;
    if (name === '' && !bang && !closing) {
      emit('<'); // "a < b": not a tag
      i = lt + 1;
      continue;
    }
    const gt = html.indexOf('>', lt + 1);
    if (gt < 0) {
      emit(html.slice(lt)); // no tag can close any more: the rest is text
      break;
    }
    i = gt + 1;
    if (bang || name === '') continue;
    if (!closing && SKIP_CONTENT.has(name) && html.charCodeAt(gt - 1) !== 0x2f) {
      const end = lower.indexOf(`</${name}`, i);
      if (end < 0) break;
      const endGt = html.indexOf('>', end);
      i = endGt < 0 ? html.length : endGt + 1;
      continue;
    }
    if (name === 'br') lineBreak(true);
    else if (PARAGRAPH_TAGS.has(name)) {
      paragraph();
      if (name === 'pre') pre = Math.max(0, pre + (closing ? -1 : 1));
      if (name === 'hr' && !closing) {
        sink.text('----------');
        paragraph();
      }
    } else if (LINE_TAGS.has(name)) {
      lineBreak(false);
      if (name === 'li' && !closing) sink.text('* ');
    } else if (name === 'td' || name === 'th') {
      if (!closing) pendingSpace = true;
    } else if (name === 'img' && !closing) {
      const alt = attribute(html.slice(lt, gt), 'alt');
      if (alt) emit(` [${alt}] `);
    } else if (name === 'a') {
      if (!closing) {
        links.push(attribute(html.slice(lt, gt), 'href'));
        linkText = '';
      } else if (links.length > 0) {
        const href = decodeHtmlEntities(links.pop() ?? '');
        const shown = href.startsWith('mailto:') ? href.slice(7) : href;
        if (shown && (href.startsWith('http') || href.startsWith('mailto:')) && shown !== linkText) emit(` <${shown}>`);
      }
    } else if (STYLE_TAGS[name]) {
      sink.style(STYLE_TAGS[name], !closing);
    }
  }
}

/** Lines of plain text with paragraph handling shared by the text and enriched sinks. */
class LineBuilder {
  lines: string[] = [''];
  private blankWanted = false;

  get current(): string {
    return this.lines[this.lines.length - 1]!;
  }

  append(s: string, pre = false): void {
    if (this.blankWanted) {
      this.blankWanted = false;
      if (this.current !== '') this.lines.push('');
      if (this.lines.length > 1 && this.lines[this.lines.length - 2] !== '') this.lines.push('');
    }
    // A space at the start of a line is the one collapsed whitespace left over: drop it.
    const text = !pre && this.current === '' && s.startsWith(' ') ? s.slice(1) : s;
    const parts = text.split('\n').map((p) => (p.endsWith('\r') ? p.slice(0, -1) : p));
    this.lines[this.lines.length - 1] += parts[0]!;
    for (let k = 1; k < parts.length; k++) this.lines.push(parts[k]!);
  }

  lineBreak(always: boolean): void {
    if (this.blankWanted) return;
    if (always || this.current !== '') this.lines.push('');
  }

  paragraph(): void {
    if (this.lines.length === 1 && this.current === '') return;
    this.blankWanted = true;
  }

  finish(): string[] {
    const lines = this.lines.map((l) => trimEnd(l));
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    // At most one empty line in a row.
    const out: string[] = [];
    for (const l of lines) if (!(l === '' && out.length > 0 && out[out.length - 1] === '')) out.push(l);
    return out;
  }
}

function trimEnd(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return s.slice(0, end);
}

/** HTML to readable plain text, lines joined with CRLF. */
export function htmlToPlainText(html: string): string {
  const lines = new LineBuilder();
  walkHtml(html, {
    text: (s, pre) => lines.append(s.split('\u00a0').join(' '), pre),
    lineBreak: (always) => lines.lineBreak(always),
    paragraph: () => lines.paragraph(),
    style: () => undefined,
  });
  return lines.finish().join('\r\n');
}

/** Escapes text for HTML content. */
export function escapeHtml(s: string): string {
  let out = '';
  let from = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    const rep = c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : null;
    if (rep) {
      out += s.slice(from, k) + rep;
      from = k + 1;
    }
  }
  return out + s.slice(from);
}

/** Splits text into lines at CRLF, LF or a lone CR. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let from = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === 0x0a || c === 0x0d) {
      lines.push(text.slice(from, k));
      if (c === 0x0d && text.charCodeAt(k + 1) === 0x0a) k++;
      from = k + 1;
    }
  }
  lines.push(text.slice(from));
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Plain text to an HTML document: each line escaped and ended with <br>, runs of spaces kept
 * with &nbsp;, so the text looks as it did in a fixed layout.
 */
export function plainTextToHtml(text: string): string {
  const body = splitLines(text).map((line) => {
    let out = '';
    let from = 0;
    const escaped = escapeHtml(line);
    for (let k = 0; k < escaped.length; k++) {
      // A space at the start of a line or after another space would collapse: make it hard.
      if (escaped[k] === ' ' && (k === 0 || escaped[k - 1] === ' ')) {
        out += escaped.slice(from, k) + '&nbsp;';
        from = k + 1;
      }
    }
    return out + escaped.slice(from) + '<br>';
  });
  return [
    '<html>',
    '<head>',
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
    '</head>',
    '<body>',
    '<div style="font-family: monospace">',
    ...body,
    '</div>',
    '</body>',
    '</html>',
  ].join('\r\n');
}

/**
 * Plain text to text/enriched (RFC 1896 §2): "<" is written "<<", and since one line break is
 * read as a space, each line break of the text becomes two (n+1 CRLF make n line breaks).
 */
export function plainTextToEnriched(text: string): string {
  return joinEnrichedLines(splitLines(text).map((line) => line.split('<').join('<<')));
}

/** Lines of text joined for text/enriched: n line breaks in a row are written as n+1 CRLF. */
function joinEnrichedLines(lines: string[]): string {
  let out = '';
  let breaks = 0;
  for (let k = 0; k < lines.length; k++) {
    if (k > 0) breaks++;
    if (lines[k] === '' && k < lines.length - 1) continue;
    if (breaks > 0) out += '\r\n'.repeat(breaks + 1);
    out += lines[k];
    breaks = 0;
  }
  return out;
}

/** HTML to text/enriched: the text of htmlToPlainText, with bold, italic, underline and fixed kept. */
export function htmlToEnriched(html: string): string {
  const lines = new LineBuilder();
  const open: string[] = [];
  walkHtml(html, {
    text: (s, pre) => lines.append(s.split('\u00a0').join(' ').split('<').join('<<'), pre),
    lineBreak: (always) => lines.lineBreak(always),
    paragraph: () => lines.paragraph(),
    style: (name, isOpen) => {
      if (isOpen) {
        open.push(name);
        lines.append(`<${name}>`);
      } else if (open.includes(name)) {
        // Close in nesting order (RFC 1896 §2: commands must be properly nested).
        const reopen: string[] = [];
        while (open.length > 0) {
          const top = open.pop()!;
          lines.append(`</${top}>`);
          if (top === name) break;
          reopen.push(top);
        }
        for (const r of reopen.reverse()) {
          open.push(r);
          lines.append(`<${r}>`);
        }
      }
    },
  });
  while (open.length > 0) lines.append(`</${open.pop()!}>`);
  return joinEnrichedLines(lines.finish());
}

/**
 * text/enriched to plain text (RFC 1896 §4's simple reader): "<<" is "<", formatting commands
 * are dropped with the content of <param>, a lone line break is a space and n+1 line breaks
 * are n, except inside <nofill> where every line break counts.
 */
export function enrichedToPlainText(enriched: string): string {
  let out = '';
  let nofill = 0;
  let paramDepth = 0;
  let i = 0;
  const n = enriched.length;
  while (i < n) {
    const c = enriched[i]!;
    if (c === '<') {
      if (enriched[i + 1] === '<') {
        if (paramDepth === 0) out += '<';
        i += 2;
        continue;
      }
      const gt = enriched.indexOf('>', i + 1);
      if (gt < 0 || gt - i > 62) {
        // Not a command (RFC 1896: at most 60 characters): keep it as text.
        if (paramDepth === 0) out += c;
        i++;
        continue;
      }
      const command = enriched.slice(i + 1, gt).toLowerCase();
      if (command === 'nofill') nofill++;
      else if (command === '/nofill') nofill = Math.max(0, nofill - 1);
      else if (command === 'param') paramDepth++;
      else if (command === '/param') paramDepth = Math.max(0, paramDepth - 1);
      i = gt + 1;
      continue;
    }
    if (c === '\r' || c === '\n') {
      let breaks = 0;
      while (i < n && (enriched[i] === '\r' || enriched[i] === '\n')) {
        if (enriched[i] === '\r' && enriched[i + 1] === '\n') i++;
        i++;
        breaks++;
      }
      if (paramDepth > 0) continue;
      if (nofill > 0) out += '\r\n'.repeat(breaks);
      else out += breaks === 1 ? ' ' : '\r\n'.repeat(breaks - 1);
      continue;
    }
    if (paramDepth === 0) out += c;
    i++;
  }
  return out;
}
