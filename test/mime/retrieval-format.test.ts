// MessageRetrievalMimeFormat conversions: the body converters (HTML, plain text, text/enriched
// per RFC 1896) and the message rewrite that keeps headers and attachments, as tables and as a
// property over random messages (seeded, test/support/random.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import {
  decodeHtmlEntities, enrichedToPlainText, htmlToEnriched, htmlToPlainText, plainTextToEnriched, plainTextToHtml,
} from '../../src/mime/body-convert.ts';
import { renderForRetrieval, RETRIEVAL_FORMATS, type RetrievalFormat } from '../../src/mime/retrieval-format.ts';
import { scanMessage, walkParts, decodeTransferEncoding, decodeCharset, paramValue, type MessagePart } from '../../src/mime/index.ts';
import { bodyStructure } from '../../src/mime/index.ts';
import { cpuCost } from '../support/cpu-time.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const HTML_TO_TEXT: Array<[string, string]> = [
  ['<p>Hello <b>world</b></p><p>Bye</p>', 'Hello world\r\n\r\nBye'],
  ['a<br>b<br><br>c', 'a\r\nb\r\n\r\nc'],
  ['<ul><li>one</li><li>two</li></ul>', '* one\r\n* two'],
  ['<head><title>T</title><style>p{color:red}</style></head><body>x</body>', 'x'],
  ['<script>alert(1)</script>visible', 'visible'],
  ['fish &amp; chips &lt;3 &#20013;&#x6587; &bogus; &nbsp;!', 'fish & chips <3 中文 &bogus;  !'],
  ['<a href="https://contoso.com/x">the report</a>', 'the report <https://contoso.com/x>'],
  ['<a href="https://contoso.com/">https://contoso.com/</a>', 'https://contoso.com/'],
  ['<a href="mailto:chris@contoso.com">Chris</a>', 'Chris <chris@contoso.com>'],
  ['a < b and c > d', 'a < b and c > d'],
  ['<pre>  keep\n   spaces</pre>', '  keep\r\n   spaces'],
  ['x <!-- hidden --> y', 'x y'],
  ['unclosed <!-- comment', 'unclosed'],
  ['tag never closes <b', 'tag never closes <b'],
  ['<img src="cid:1" alt="logo">Text', '[logo] Text'],
  ['', ''],
];

for (const [html, text] of HTML_TO_TEXT) {
  test(`HTML to text: ${JSON.stringify(html)}`, () => assert.equal(htmlToPlainText(html), text));
}

test('plain text to HTML: escaped, lines kept, leading and doubled spaces kept', () => {
  const html = plainTextToHtml('a <b> & "c"\r\n  indented\r\nx  y');
  assert.match(html, /a &lt;b&gt; &amp; &quot;c&quot;<br>/);
  assert.match(html, /&nbsp;&nbsp;indented<br>/);
  assert.match(html, /x &nbsp;y<br>/);
  assert.equal(htmlToPlainText(html), 'a <b> & "c"\r\nindented\r\nx y'.replace('\r\nindented', '\r\n  indented').replace('x y', 'x  y'));
});

const ENRICHED: Array<[string, string]> = [
  // RFC 1896 §2: "<<" is "<"; one CRLF is a space; n+1 CRLFs are n line breaks.
  ['<bold>Now</bold> is the time for <italic>all</italic> good men\r\n<smaller>(and <<women>)</smaller> to', 'Now is the time for all good men (and <women>) to'],
  ['one\r\n\r\ntwo\r\n\r\n\r\nthree', 'one\r\ntwo\r\n\r\nthree'],
  ['<nofill>a\r\nb</nofill>', 'a\r\nb'],
  ['<color><param>red</param>Red</color>', 'Red'],
  ['a <not a command because it runs on for more than sixty characters without a closing bracket', 'a <not a command because it runs on for more than sixty characters without a closing bracket'],
];

for (const [enriched, text] of ENRICHED) {
  test(`text/enriched to text: ${JSON.stringify(enriched).slice(0, 50)}`, () => assert.equal(enrichedToPlainText(enriched), text));
}

test('text to text/enriched and back gives the text; HTML styles become enriched commands', () => {
  const text = 'Dear <team>,\r\n\r\nline two\r\nline three';
  assert.equal(plainTextToEnriched(text), 'Dear <<team>,\r\n\r\n\r\nline two\r\n\r\nline three');
  assert.equal(enrichedToPlainText(plainTextToEnriched(text)), text);
  const enriched = htmlToEnriched('<p>Hi <b>bold <i>both</b> italic</i></p><p>x</p>');
  assert.equal(enrichedToPlainText(enriched), 'Hi bold both italic\r\n\r\nx');
  assert.match(enriched, /<bold>/);
  assert.match(enriched, /<italic>/);
  // Properly nested (RFC 1896 §2), whatever the HTML did.
  const opened: string[] = [];
  for (const m of enriched.matchAll(/<(\/?)(bold|italic)>/g)) {
    if (m[1]) assert.equal(opened.pop(), m[2]);
    else opened.push(m[2]!);
  }
  assert.deepEqual(opened, []);
});

test('entities: numeric, hex, named, out of range', () => {
  assert.equal(decodeHtmlEntities('&#65;&#x42;&amp;&#0;&#x110000;&unknown;'), 'AB&\ufffd\ufffd&unknown;');
});

// ---------------------------------------------------------------------------------------
// Whole messages

const ATTACHMENT = Buffer.from([0, 1, 2, 200, 254, 255, 13, 10, 46]);

function mixed(body: string, extraHeaders = ''): Buffer {
  return Buffer.from([
    'From: Chris <chris@contoso.com>', 'To: mei@contoso.com', 'Subject: Report', 'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="outer"${extraHeaders}`, '', 'preamble', '--outer', body, '--outer',
    'Content-Type: application/octet-stream; name="data.bin"', 'Content-Disposition: attachment; filename="data.bin"',
    'Content-Transfer-Encoding: base64', '', ATTACHMENT.toString('base64'), '--outer--', '',
  ].join('\r\n'));
}

const ALTERNATIVE = [
  'Content-Type: multipart/alternative; boundary="alt"', '', '--alt', 'Content-Type: text/plain; charset=utf-8', '',
  'Plain version', '--alt', 'Content-Type: text/html; charset=utf-8', '', '<p>HTML <b>version</b></p>', '--alt--',
].join('\r\n');

function leaves(raw: Buffer): MessagePart[] {
  return walkParts(scanMessage(raw)).filter((p) => p.kind === 'leaf');
}

function textOf(raw: Buffer, p: MessagePart): string {
  return decodeCharset(decodeTransferEncoding(raw.subarray(p.bodyStart, p.bodyEnd), p.encoding), paramValue(p.contentType.params, 'charset'));
}

const types = (raw: Buffer) => leaves(raw).map((p) => `${p.contentType.type}/${p.contentType.subtype}`);

test('each format gives the forms Exchange documents, keeps the header and the attachment byte for byte', () => {
  const raw = mixed(ALTERNATIVE);
  const expected: Record<RetrievalFormat, string[]> = {
    TextOnly: ['text/plain', 'application/octet-stream'],
    HtmlOnly: ['text/html', 'application/octet-stream'],
    HtmlAndTextAlternative: ['text/plain', 'text/html', 'application/octet-stream'],
    TextEnrichedOnly: ['text/enriched', 'application/octet-stream'],
    TextEnrichedAndTextAlternative: ['text/plain', 'text/enriched', 'application/octet-stream'],
    BestBodyFormat: ['text/plain', 'text/html', 'application/octet-stream'],
  };
  for (const format of RETRIEVAL_FORMATS) {
    const out = renderForRetrieval(raw, format);
    assert.deepEqual(types(out), expected[format], format);
    assert.ok(out.toString('latin1').startsWith('From: Chris <chris@contoso.com>\r\nTo: mei@contoso.com\r\nSubject: Report\r\n'), format);
    const attachment = leaves(out).find((p) => p.contentType.type === 'application')!;
    assert.deepEqual(decodeTransferEncoding(out.subarray(attachment.bodyStart, attachment.bodyEnd), attachment.encoding), ATTACHMENT, format);
    // Deterministic: sizes computed twice agree.
    assert.deepEqual(renderForRetrieval(raw, format), out, format);
  }
  assert.equal(renderForRetrieval(raw, 'BestBodyFormat'), raw);
  const text = renderForRetrieval(raw, 'TextOnly');
  assert.equal(textOf(text, leaves(text)[0]!).trim(), 'Plain version', 'the stored plain part is used, not a conversion of the HTML');
  const enriched = renderForRetrieval(raw, 'TextEnrichedOnly');
  assert.equal(enrichedToPlainText(textOf(enriched, leaves(enriched)[0]!)), 'HTML version');
});

test('a single-part HTML message becomes text; the message header keeps every field but the Content-* ones', () => {
  const raw = Buffer.from('From: a@fabrikam.com\r\nSubject: Hi\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>caf=C3=A9 &amp; more</p>\r\n');
  const out = renderForRetrieval(raw, 'TextOnly');
  const [part] = leaves(out);
  assert.equal(part!.contentType.subtype, 'plain');
  assert.equal(textOf(out, part!), 'café & more\r\n');
  assert.match(out.toString(), /^From: a@fabrikam.com\r\nSubject: Hi\r\nMIME-Version: 1.0\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
  // Already what is wanted: the very same buffer.
  assert.equal(renderForRetrieval(raw, 'HtmlOnly'), raw);
});

test('Big5 and GB18030 bodies are decoded and re-sent as UTF-8', () => {
  for (const charset of ['big5', 'gb18030']) {
    const words = charset === 'big5' ? '會議記錄在附件裡 <附件>' : '会议记录在附件里 𠀀';
    const raw = Buffer.concat([
      Buffer.from(`Subject: x\r\nContent-Type: text/plain; charset=${charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`),
      iconv.encode(`${words}\r\n第二行\r\n`, charset),
    ]);
    const html = renderForRetrieval(raw, 'HtmlOnly');
    const [part] = leaves(html);
    assert.equal(paramValue(part!.contentType.params, 'charset'), 'utf-8');
    assert.equal(htmlToPlainText(textOf(html, part!)), `${words}\r\n第二行`, charset);
  }
});

test('multipart/related: the inline image stays with the HTML, or becomes an attachment beside the text', () => {
  const related = [
    'Content-Type: multipart/related; boundary="rel"', '', '--rel', 'Content-Type: text/html; charset=utf-8', '',
    '<p>Logo: <img src="cid:logo@x" alt="logo"></p>', '--rel', 'Content-Type: image/png', 'Content-ID: <logo@x>',
    'Content-Transfer-Encoding: base64', '', 'iVBORw0KGgo=', '--rel--',
  ].join('\r\n');
  const raw = mixed(related);
  assert.deepEqual(types(renderForRetrieval(raw, 'TextOnly')), ['text/plain', 'image/png', 'application/octet-stream']);
  const both = renderForRetrieval(raw, 'HtmlAndTextAlternative');
  assert.deepEqual(types(both), ['text/plain', 'text/html', 'image/png', 'application/octet-stream']);
  assert.ok(walkParts(scanMessage(both)).some((p) => p.contentType.subtype === 'related'));
});

test('signed messages, messages without a text body and oversized bodies are sent as stored', () => {
  const signed = Buffer.from('Content-Type: multipart/signed; boundary="s"; protocol="application/pkcs7-signature"\r\n\r\n--s\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--s\r\nContent-Type: application/pkcs7-signature\r\n\r\nAAAA\r\n--s--\r\n');
  assert.equal(renderForRetrieval(signed, 'TextOnly'), signed);
  const image = Buffer.from('Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n');
  assert.equal(renderForRetrieval(image, 'TextOnly'), image);
  const huge = Buffer.from(`Content-Type: text/html\r\n\r\n${'<p>x</p>'.repeat(1024 * 1024 + 1)}`);
  assert.equal(renderForRetrieval(huge, 'TextOnly'), huge);
});

test('property: random messages convert deterministically, keep attachments and parse back with the forms asked for', () => {
  const random = prng(20261207);
  const words = ['hello', '<b>', '&amp;', '中文', '.', '..', 'line\r\n', '<p>', '</p>', '<br>', 'a<b', '<<', '\r\n\r\n', 'ü', '&#20013;', '<!--', '-->', '<script>', 'x'.repeat(90)];
  const text = () => Array.from({ length: randomInt(random, 40) }, () => pick(random, words)).join(pick(random, [' ', '', '\r\n']));
  const bodies = [
    () => `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text()}`,
    () => `Content-Type: text/html; charset=utf-8\r\n\r\n${text()}`,
    () => `Content-Type: text/enriched\r\n\r\n${text()}`,
    () => ALTERNATIVE,
  ];
  for (let i = 0; i < 300; i++) {
    const raw = mixed(pick(random, bodies)());
    const format = pick(random, RETRIEVAL_FORMATS);
    const { result: out, ms } = cpuCost(() => renderForRetrieval(raw, format));
    assert.ok(ms < 1000, `${ms} ms of CPU`);
    assert.deepEqual(renderForRetrieval(raw, format), out);
    const found = types(out);
    assert.equal(found[found.length - 1], 'application/octet-stream');
    const attachment = leaves(out).at(-1)!;
    assert.deepEqual(decodeTransferEncoding(out.subarray(attachment.bodyStart, attachment.bodyEnd), attachment.encoding), ATTACHMENT);
    if (format === 'TextOnly') assert.deepEqual(found.slice(0, -1), ['text/plain']);
    if (format === 'HtmlOnly') assert.deepEqual(found.slice(0, -1), ['text/html']);
    if (format === 'TextEnrichedAndTextAlternative') assert.deepEqual(found.slice(0, -1), ['text/plain', 'text/enriched']);
    // BODYSTRUCTURE can be computed for what is sent.
    assert.match(bodyStructure(out, scanMessage(out), { utf8Allowed: false }), /^\(/);
  }
});

test('conversion time grows linearly with the body', () => {
  const time = (n: number) => {
    const raw = Buffer.from(`Content-Type: text/html\r\n\r\n${'<p>a &amp; <b>b</b> <a href="http://x">y</a> <'.repeat(n)}`);
    return cpuCost(() => renderForRetrieval(raw, 'TextEnrichedAndTextAlternative')).ms;
  };
  time(2000);
  const small = Math.max(time(20_000), 1);
  const large = time(200_000);
  assert.ok(large < small * 40, `20k: ${small.toFixed(1)} ms, 200k: ${large.toFixed(1)} ms`);
});
