// Character set conversion for message bytes: declared charsets (MIME parameters, encoded
// words) and undeclared 8-bit header bytes, which need a guess.
//
// iconv-lite covers the single- and double-byte sets found in mail; ISO-2022-JP (stateful,
// still common in Japanese mail) is not in iconv-lite, so it goes through libmime's charset
// module, which decodes it with encoding-japanese.
import iconv from 'iconv-lite';
import { decode as libmimeDecode } from 'libmime/lib/charset.js';

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8', { fatal: false });

/** True when every byte is below 0x80. */
export function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** True when the bytes are well-formed UTF-8 (ASCII included). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  if (isAscii(bytes)) return true;
  try {
    utf8Strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Labels seen in real mail that name a charset iconv-lite knows under another name, or that
// should be read as a superset: text labelled GB2312 routinely contains GBK characters, and
// ISO-8859-1 labelled text routinely contains windows-1252 quotes (the WHATWG Encoding
// standard maps these labels the same way).
const ALIASES: Record<string, string> = {
  'utf8': 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
  // Declared ASCII but carrying 8-bit bytes: the label says nothing useful, so guess.
  'us-ascii': '',
  'ascii': '',
  'ansi_x3.4-1968': '',
  'gb2312': 'gb18030',
  'gbk': 'gb18030',
  'x-gbk': 'gb18030',
  'cp936': 'gb18030',
  'euc-cn': 'gb18030',
  'x-euc-cn': 'gb18030',
  'csgb2312': 'gb18030',
  'chinese': 'gb18030',
  'big5-hkscs': 'big5',
  'x-big5': 'big5',
  'cn-big5': 'big5',
  'iso-8859-1': 'windows-1252',
  'iso8859-1': 'windows-1252',
  'latin1': 'windows-1252',
  'l1': 'windows-1252',
  'ks_c_5601-1987': 'cp949',
  'ks_c_5601': 'cp949',
  'euc-kr': 'cp949',
  'x-mac-roman': 'macintosh',
  'unicode-1-1-utf-7': 'utf-7',
  'x-unknown': '',
  'unknown-8bit': '',
  'x-user-defined': '',
};

const JAPANESE = /^(?:iso-?2022-?jp(?:-\d)?|csiso2022jp)$/;
const ISO_2022_JP_ESCAPE = Buffer.from('\x1b$', 'latin1');
const SEVEN_BIT_CHARSET = /^(?:iso-?2022-|csiso2022|utf-?7|unicode-1-1-utf-7|hz)/;

/** Lower-cased, trimmed charset label with common aliases resolved; '' when it says nothing. */
export function normalizeCharset(label: string | null | undefined): string {
  if (!label) return '';
  let name = label.trim().toLowerCase().replace(/^["']|["']$/g, '');
  // RFC 2231 §5 lets an encoded word carry a language after the charset: "utf-8*en".
  const star = name.indexOf('*');
  if (star >= 0) name = name.slice(0, star);
  if (name.startsWith('cp-')) name = 'cp' + name.slice(3);
  if (/^win-?125\d$/.test(name)) name = 'windows-' + name.slice(-4);
  return ALIASES[name] ?? name;
}

/** True when decodeCharset would use the named charset itself rather than a fallback. */
export function charsetKnown(label: string | null | undefined): boolean {
  const name = normalizeCharset(label);
  if (name === '') return false;
  if (name === 'utf-8' || JAPANESE.test(name)) return true;
  return iconv.encodingExists(name);
}

/**
 * Decodes bytes in a declared charset. An unknown or missing charset falls back to UTF-8 when
 * the bytes are valid UTF-8 and to windows-1252 otherwise (every byte maps to something, so
 * search still sees the ASCII words around the damage).
 */
export function decodeCharset(bytes: Uint8Array, label: string | null | undefined): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const name = normalizeCharset(label);
  // 7-bit data is ASCII unless the charset is one of the 7-bit encodings (ISO-2022-JP
  // escapes, UTF-7, HZ), which must go through their decoders.
  if (isAscii(buf) && !SEVEN_BIT_CHARSET.test(name)) return buf.toString('latin1');
  try {
    if (name === 'utf-8') return utf8Lenient.decode(buf);
    if (JAPANESE.test(name)) return libmimeDecode(buf, name);
    if (name !== '' && iconv.encodingExists(name)) return iconv.decode(buf, name);
  } catch {
    // A decoder that chokes on garbage is treated like an unknown charset.
  }
  return isValidUtf8(buf) ? utf8Lenient.decode(buf) : iconv.decode(buf, 'windows-1252');
}

// The most frequent Han characters of running Chinese text, simplified and traditional forms
// both. Bytes of one Chinese encoding read as the other decode to valid but rare characters,
// so counting hits on this list tells GB18030 and Big5 apart reliably even on a short subject.
const COMMON_HAN = new Set(
  Array.from(
    '的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而子那得于於着著下自之年过過' +
      '发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面起看定天分还還进進好小部其些主样樣理心' +
      '她本前开開但因只从從想实實日者意无無力它与與长長把机機十民第公此已工使情明性知全三又关關点點正业業外将將两兩高间間由' +
      '问問很最重并並物手应應向头頭文体體政美相见見被利什二等产產或新己制身果加西月话話合回特代内內信表化老给給世位次度门門' +
      '任常先海通教儿兒原东東声聲提立及比员員解水名真论論处處走义義各入几幾口认認条條平系气氣题題活更别別打女变變四神总總何' +
      '电電数數安少报報才结結反受目太量再感建务務做接必场場件计計管期市直德资資命金指许許统統区區保至队隊形社便空决決治展' +
      '科司五书書非则則听聽白却卻界达達光放强強即像难難且权權思王象完设設式色路记記南品住告类類求据據程北边邊张張该該交规規' +
      '万萬取拉格望觉覺术術领領共确確传傳师師观觀清今切院让讓识識候带帶导導争爭运運笑飞飛风風步改收根造言联聯持组組每济濟车車' +
      '亲親极極林服快办辦议議往元英士证證近失转轉夫令准準布始怎呢存未远遠叫台单單影具罗羅字爱愛流备備连連调調深商算质質团團' +
      '您请請谢謝附件邮郵箱信息会議议議时間间時間日期地址电話话號号码碼司公司客户戶项項目目资料資料报告報告通知知道回复覆復',
  ),
);

function isHan(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf);
}

interface ChineseScore {
  score: number;
  /** U+FFFD: bytes the charset cannot decode. */
  bad: number;
  han: number;
  common: number;
}

/** Higher is more plausible: common Han characters score, replacement and rare symbols cost. */
function chineseScore(text: string): ChineseScore {
  const s: ChineseScore = { score: 0, bad: 0, han: 0, common: 0 };
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) continue;
    if (cp === 0xfffd) {
      s.bad++;
      s.score -= 10;
    } else if (COMMON_HAN.has(ch)) {
      s.han++;
      s.common++;
      s.score += 4;
    } else if (isHan(cp)) {
      s.han++;
      s.score += 1;
    } else if ((cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xff00 && cp <= 0xffef)) {
      s.score += 1; // CJK punctuation and full-width forms
    } else if ((cp >= 0xe000 && cp <= 0xf8ff) || cp >= 0x10000 || (cp >= 0x80 && cp < 0xa0)) {
      s.score -= 3; // private use, astral, C1 controls: what a wrong double-byte guess yields
    }
  }
  return s;
}

/**
 * Western text in a single-byte charset: every 8-bit byte stands alone between ASCII bytes
 * and is a Latin-1 letter ("M\xfcller", "Fran\xe7ois"). Chinese double-byte text has runs
 * of 8-bit bytes, or lead bytes that are not letters.
 */
function looksLatin(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b < 0x80) continue;
    if (b < 0xc0 || b === 0xd7 || b === 0xf7) return false;
    if ((buf[i - 1] ?? 0) >= 0x80 || (buf[i + 1] ?? 0) >= 0x80) return false;
  }
  return true;
}

/**
 * Decodes header bytes that arrived as raw 8-bit instead of encoded words (RFC 6532 allows
 * UTF-8; older mailers, notably in China and Taiwan, send their local charset). Tries UTF-8,
 * then the message's own charset when known (hint, e.g. the charset of its first text part),
 * then picks between GB18030 and Big5 by plausibility, and ends at windows-1252.
 */
export function decodeHeaderBytes(bytes: Uint8Array, hint?: string | null): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Japanese mailers have long put raw ISO-2022-JP (7-bit, with ESC sequences) in headers.
  if (buf.includes(ISO_2022_JP_ESCAPE)) return decodeCharset(buf, 'iso-2022-jp');
  if (isAscii(buf)) return buf.toString('latin1');
  if (isValidUtf8(buf)) return buf.toString('utf8');
  const hinted = normalizeCharset(hint);
  if (hinted !== '' && hinted !== 'utf-8' && charsetKnown(hinted)) {
    const text = decodeCharset(buf, hinted);
    if (!text.includes('\ufffd')) return text;
  }
  if (!looksLatin(buf)) {
    let best: { text: string; score: number } | null = null;
    for (const name of ['gb18030', 'big5']) {
      const text = iconv.decode(buf, name);
      const s = chineseScore(text);
      // Real Chinese text has common characters among its first few; bytes of another
      // charset read as Chinese give rare ones.
      const plausible = s.bad === 0 && s.common > 0 && s.common * 3 >= s.han;
      if (plausible && (best === null || s.score > best.score)) best = { text, score: s.score };
    }
    if (best !== null && best.score > 0) return best.text;
  }
  return iconv.decode(buf, 'windows-1252');
}

/** Decodes a "binary string" (one char per byte, as produced by latin1) as header text. */
export function decodeHeaderBinary(value: string, hint?: string | null): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80 || c === 0x1b) return decodeHeaderBytes(Buffer.from(value, 'latin1'), hint);
  }
  return value;
}
