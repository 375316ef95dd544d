// The test messages. Each is a tree (rendered by fixture-builder.ts, which knows every part's
// bytes) or a hand-written raw message with its parts' bodies written out by hand.
//
// Every fixture has its BODYSTRUCTURE, BODY and ENVELOPE here, none taken from the
// implementation. Each was derived by hand from RFC 3501 §7.4.2 (part sizes and line counts
// from the builder, not from the scanner) or checked against Dovecot 2.3.19, and all were
// compared with Dovecot's answers: where one differs, the comment beside it names the reason
// from the list at the top of FIXTURES. ENVELOPE with UTF8=ACCEPT is written out only for
// headers with 8-bit text; for the others it is the ENVELOPE itself (make-fixtures.ts).
// scripts/mime-oracle.ts shows Dovecot's answers for a new fixture.
import iconv from 'iconv-lite';
import { base64Lines, fillerBytes, leaf, message, multi } from './fixture-builder.ts';
import type { Bytes, Node } from './fixture-builder.ts';

export interface PartInfo {
  type: string;
  size: number;
  lines: number;
}

export interface FixtureDef {
  name: string;
  description: string;
  /** Line ending for strings in the tree or raw text; CRLF unless the fixture is about LF. */
  eol?: string;
  tree?: Node;
  raw?: Bytes;
  /** For raw fixtures: every part in document order with its body, by hand. */
  parts?: { type: string; body: Bytes }[];
  bodystructure?: (p: PartInfo[]) => string;
  body?: (p: PartInfo[]) => string;
  envelope?: string;
  envelopeUtf8?: string;
}

const sz = (p: PartInfo[], i: number) => `${p[i]!.size}`;
const ln = (p: PartInfo[], i: number) => `${p[i]!.lines}`;
/** "size lines" of a text part. */
const sl = (p: PartInfo[], i: number) => `${sz(p, i)} ${ln(p, i)}`;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const bytes = (...pieces: (string | Buffer)[]) => Buffer.concat(pieces.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : x)));

// A 1x1 transparent PNG, so image parts carry real image bytes.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const JPEG_HEAD = Buffer.concat([Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'), fillerBytes(600, 7), Buffer.from('ffd9', 'hex')]);

const outlookHtml = `<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=us-ascii">
<style><!--
p.MsoNormal {margin:0in; font-size:11.0pt; font-family:"Calibri",sans-serif;}
--></style>
</head>
<body lang="EN-US" link="#0563C1" vlink="#954F72">
<div class="WordSection1">
<p class="MsoNormal">Hi team,<o:p></o:p></p>
<p class="MsoNormal">The quarterly review moved to Thursday&nbsp;3&nbsp;PM.<o:p></o:p></p>
<p class="MsoNormal">Thanks,<br>Alice<o:p></o:p></p>
</div>
</body>
</html>`;

// Where an expectation differs from Dovecot 2.3.19's answer, and why:
//   [charset]  Dovecot adds ("charset" "us-ascii") to every text part without a charset
//              parameter. Here the RFC 2045 §5.2 default (text/plain; charset=us-ascii) stands
//              in only for a missing or invalid Content-Type field; a field that is there is
//              sent with the parameters written, since other text subtypes have defaults of
//              their own (RFC 6657 §3) that "us-ascii" would misstate.
//   [case]     Dovecot sends type, subtype, parameter names and encoding as written; they are
//              case-insensitive (RFC 2045 §5.1) and sent lower-cased here.
//   [2231]     RFC 2231 parameters are joined, decoded and sent as one UTF-8 value (name* or,
//              for plain ASCII without a language, name), which replaces the plain fallback.
//              Dovecot joins the pieces as written: the result can mix encoded and raw pieces
//              (not a valid extended value) and keeps both the fallback and name*.
//   [8bit]     Raw 8-bit header text: Dovecot sends the bytes in a literal; here they are decoded
//              (the part's charset as the hint) and sent as UTF-8 encoded words (RFC 2047) that
//              decode to the same text. Local parts and domains stay UTF-8 (RFC 6532).
//   [opaque]   A container that cannot be opened as its RFC defines it (message/rfc822 in
//              base64, RFC 2046 §5.2.1; a multipart without a boundary of 1 to 70 characters,
//              §5.1.1) is sent as application/octet-stream. Dovecot opens it anyway.
//   [global]   message/global is a message like message/rfc822 (RFC 6532 §3.7, RFC 9051
//              body-type-msg), with an envelope and a body; Dovecot 2.3 sends it as a basic part.
//              With message/rfc822 in its place Dovecot's answer agrees but for [8bit].
//   [lf]       Bare LF line ends: sizes count the bytes as stored and sent; Dovecot counts
//              every line end as CRLF.
//   [invalid]  "Content-Type: text" has no subtype: RFC 2045 §5.2's default applies. Dovecot
//              sends empty type and subtype strings.
//   [nul]      NUL cannot be sent in an IMAP string (RFC 3501 §9: CHAR8 excludes it) and is
//              dropped. Dovecot sends a literal with the NUL replaced by the byte 0x80.
//   [obs]      Empty elements of an obsolete address list (RFC 5322 §4.4) are not addresses and
//              are skipped (Dovecot sends a MISSING_MAILBOX placeholder for each); a mailbox
//              without a display name takes all its comments as the name (Dovecot the last).
export const FIXTURES: FixtureDef[] = [
  // ---------------------------------------------------------------- Outlook
  {
    name: 'outlook-alternative',
    description: 'Outlook 2016: multipart/alternative, quoted-printable text and HTML, Content-Language, Thread-Index',
    tree: multi(
      'multipart/alternative',
      [
        'From: "Smith, Alice" <alice.smith@contoso.com>',
        'To: "Jones, Bob" <bob.jones@contoso.com>, "Lee, Carol" <carol.lee@contoso.com>',
        'Subject: Quarterly review moved',
        'Thread-Topic: Quarterly review moved',
        'Thread-Index: AdXkQ2rYcU7d1ZyTQyWx6vJ1l0bHrA==',
        'Date: Tue, 14 Jan 2020 16:02:11 +0000',
        'Message-ID: <DM6PR11MB4331A2B7E1F0C6@DM6PR11MB4331.namprd11.prod.outlook.com>',
        'Accept-Language: en-US',
        'Content-Language: en-US',
        'X-MS-Has-Attach:',
        'X-MS-TNEF-Correlator:',
        'Content-Type: multipart/alternative;\n\tboundary="_000_DM6PR11MB4331A2B7E1F0C6DM6PR11MB4331namp_"',
        'MIME-Version: 1.0',
      ],
      '_000_DM6PR11MB4331A2B7E1F0C6DM6PR11MB4331namp_',
      [
        leaf(
          'text/plain',
          ['Content-Type: text/plain; charset="us-ascii"', 'Content-Transfer-Encoding: quoted-printable'],
          'Hi team,\n\nThe quarterly review moved to Thursday=A03=A0PM.\n\nThanks,\nAlice\n',
        ),
        leaf('text/html', ['Content-Type: text/html; charset="us-ascii"', 'Content-Transfer-Encoding: quoted-printable'], outlookHtml.replace(/=/g, '=3D') + '\n'),
      ],
      { epilogue: '' },
    ),
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "quoted-printable" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("text" "html" ("charset" "us-ascii") NIL NIL "quoted-printable" ${sl(p, 2)} NIL NIL NIL NIL)` +
      ` "alternative" ("boundary" "_000_DM6PR11MB4331A2B7E1F0C6DM6PR11MB4331namp_") NIL ("en-US") NIL)`,
    envelope:
      '("Tue, 14 Jan 2020 16:02:11 +0000" "Quarterly review moved" (("Smith, Alice" NIL "alice.smith" "contoso.com")) ' +
      '(("Smith, Alice" NIL "alice.smith" "contoso.com")) (("Smith, Alice" NIL "alice.smith" "contoso.com")) ' +
      '(("Jones, Bob" NIL "bob.jones" "contoso.com")("Lee, Carol" NIL "carol.lee" "contoso.com")) NIL NIL NIL ' +
      '"<DM6PR11MB4331A2B7E1F0C6@DM6PR11MB4331.namprd11.prod.outlook.com>")',
    // Checked against Dovecot 2.3.19.
    body: () =>
      '(("text" "plain" ("charset" "us-ascii") NIL NIL "quoted-printable" 80 6)("text" "html" ("charset" "us-ascii") NIL NIL "quoted-printable" 614 15) "alternative")',
  },
  {
    name: 'outlook-winmail',
    description: 'Outlook rich text sent as TNEF: text/plain plus application/ms-tnef winmail.dat',
    tree: multi(
      'multipart/mixed',
      [
        'From: Dave Miller <dmiller@fabrikam.example>',
        'To: <orders@northwind.example>',
        'Subject: RE: Order 55123',
        'Date: Wed, 3 Jun 2015 09:41:07 -0700',
        'Message-ID: <5A1B6C2D9E8F7A6B@EXCH01.fabrikam.example>',
        'In-Reply-To: <20150602181144.11AB2@northwind.example>',
        'X-MS-Has-Attach: yes',
        'X-MS-TNEF-Correlator: <5A1B6C2D9E8F7A6B@EXCH01.fabrikam.example>',
        'Content-Language: en-US',
        'Content-Type: multipart/mixed; boundary="_002_5A1B6C2D9E8F7A6BEXCH01_"',
        'MIME-Version: 1.0',
      ],
      '_002_5A1B6C2D9E8F7A6BEXCH01_',
      [
        leaf('text/plain', ['Content-Type: text/plain; charset="us-ascii"', 'Content-Transfer-Encoding: 7bit'], 'Please see the updated order attached.\n\nDave\n'),
        leaf(
          'application/ms-tnef',
          [
            'Content-Type: application/ms-tnef; name="winmail.dat"',
            'Content-Description: winmail.dat',
            'Content-Disposition: attachment; filename="winmail.dat"; size=4096;\n\tcreation-date="Wed, 03 Jun 2015 16:41:07 GMT";\n\tmodification-date="Wed, 03 Jun 2015 16:41:07 GMT"',
            'Content-Transfer-Encoding: base64',
          ],
          base64Lines(Buffer.concat([Buffer.from('789f3e22', 'hex'), fillerBytes(4092, 42)])) + '\n',
        ),
      ],
      { epilogue: '' },
    ),
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("application" "ms-tnef" ("name" "winmail.dat") NIL "winmail.dat" "base64" ${sz(p, 2)} NIL ` +
      `("attachment" ("filename" "winmail.dat" "size" "4096" "creation-date" "Wed, 03 Jun 2015 16:41:07 GMT" "modification-date" "Wed, 03 Jun 2015 16:41:07 GMT")) NIL NIL)` +
      ` "mixed" ("boundary" "_002_5A1B6C2D9E8F7A6BEXCH01_") NIL ("en-US") NIL)`,
    body: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 1)})` +
      `("application" "ms-tnef" ("name" "winmail.dat") NIL "winmail.dat" "base64" ${sz(p, 2)}) "mixed")`,
    envelope:
      '("Wed, 3 Jun 2015 09:41:07 -0700" "RE: Order 55123" (("Dave Miller" NIL "dmiller" "fabrikam.example")) ' +
      '(("Dave Miller" NIL "dmiller" "fabrikam.example")) (("Dave Miller" NIL "dmiller" "fabrikam.example")) ' +
      '((NIL NIL "orders" "northwind.example")) NIL NIL "<20150602181144.11AB2@northwind.example>" "<5A1B6C2D9E8F7A6B@EXCH01.fabrikam.example>")',
  },
  {
    name: 'outlook-related',
    description: 'Outlook HTML with an embedded logo: multipart/related(type=multipart/alternative) holding alternative + inline image',
    tree: multi(
      'multipart/related',
      [
        'From: Marketing <news@contoso.com>',
        'To: customer@example.net',
        'Subject: Spring catalogue',
        'Date: Thu, 2 Apr 2020 08:00:00 +0000',
        'Message-ID: <BN8PR02MB5897E4A1@BN8PR02MB5897.namprd02.prod.outlook.com>',
        'Content-Language: en-GB',
        'Content-Type: multipart/related;\n\tboundary="_004_BN8PR02MB5897E4A1_";\n\ttype="multipart/alternative"',
        'MIME-Version: 1.0',
      ],
      '_004_BN8PR02MB5897E4A1_',
      [
        multi(
          'multipart/alternative',
          ['Content-Type: multipart/alternative;\n\tboundary="_000_BN8PR02MB5897E4A1_"'],
          '_000_BN8PR02MB5897E4A1_',
          [
            leaf('text/plain', ['Content-Type: text/plain; charset="utf-8"', 'Content-Transfer-Encoding: base64'], base64Lines(Buffer.from('Our spring catalogue is here – 20% off everything.\r\n')) + '\n'),
            leaf(
              'text/html',
              ['Content-Type: text/html; charset="utf-8"', 'Content-Transfer-Encoding: base64'],
              base64Lines(Buffer.from('<html><body><img src="cid:image001.png@01D608B1.2F9C3E40"><p>Our spring catalogue is here &ndash; 20% off everything.</p></body></html>\r\n')) + '\n',
            ),
          ],
          { epilogue: '' },
        ),
        leaf(
          'image/png',
          [
            'Content-Type: image/png; name="image001.png"',
            'Content-Description: image001.png',
            'Content-Disposition: inline; filename="image001.png"; size=68;\n\tcreation-date="Thu, 02 Apr 2020 08:00:00 GMT";\n\tmodification-date="Thu, 02 Apr 2020 08:00:00 GMT"',
            'Content-ID: <image001.png@01D608B1.2F9C3E40>',
            'Content-Transfer-Encoding: base64',
          ],
          base64Lines(PNG) + '\n',
        ),
      ],
      { epilogue: '' },
    ),
    // Checked against Dovecot 2.3.19.
    bodystructure: () =>
      '((("text" "plain" ("charset" "utf-8") NIL NIL "base64" 74 1 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "base64" 190 3 NIL NIL NIL NIL) "alternative" ("boundary" "_000_BN8PR02MB5897E4A1_") NIL NIL NIL)' +
      '("image" "png" ("name" "image001.png") "<image001.png@01D608B1.2F9C3E40>" "image001.png" "base64" 100 NIL ("inline" ("filename" "image001.png" "size" "68" "creation-date" "Thu, 02 Apr 2020 08:00:00 GMT" "modification-date" "Thu, 02 Apr 2020 08:00:00 GMT")) NIL NIL) "related" ("boundary" "_004_BN8PR02MB5897E4A1_" "type" "multipart/alternative") NIL ("en-GB") NIL)',
    body: () =>
      '((("text" "plain" ("charset" "utf-8") NIL NIL "base64" 74 1)("text" "html" ("charset" "utf-8") NIL NIL "base64" 190 3) "alternative")' +
      '("image" "png" ("name" "image001.png") "<image001.png@01D608B1.2F9C3E40>" "image001.png" "base64" 100) "related")',
    envelope:
      '("Thu, 2 Apr 2020 08:00:00 +0000" "Spring catalogue" (("Marketing" NIL "news" "contoso.com")) (("Marketing" NIL "news" "contoso.com"))' +
      ' (("Marketing" NIL "news" "contoso.com")) ((NIL NIL "customer" "example.net")) NIL NIL NIL "<BN8PR02MB5897E4A1@BN8PR02MB5897.namprd02.prod.outlook.com>")',
  },
  // ---------------------------------------------------------------- Apple Mail
  {
    name: 'apple-mixed-alternative',
    description: 'Apple Mail: multipart/mixed with an alternative body, a PDF, and the trailing text part Apple adds after attachments',
    tree: multi(
      'multipart/mixed',
      [
        'Content-Type: multipart/mixed;\n\tboundary="Apple-Mail=_0C0B0D21-5F3A-4C55-9F0E-7D7F9A1B2C3D"',
        'Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3696.120.41.1.1\\))',
        'Subject: Signed lease',
        'From: Emma Wright <emma.wright@icloud.example>',
        'In-Reply-To: <CAF=7b2Kx@mail.gmail.example>',
        'Date: Mon, 8 Feb 2021 19:22:45 +0100',
        'To: Landlord <rentals@example.org>',
        'Message-Id: <9C2B6F0A-3E1D-4B7A-8F61-2D0E5C4B3A21@icloud.example>',
        'X-Mailer: Apple Mail (2.3696.120.41.1.1)',
      ],
      'Apple-Mail=_0C0B0D21-5F3A-4C55-9F0E-7D7F9A1B2C3D',
      [
        multi(
          'multipart/alternative',
          ['Content-Transfer-Encoding: 7bit', 'Content-Type: multipart/alternative;\n\tboundary="Apple-Mail=_7E1A2B3C-4D5E-6F70-8192-A3B4C5D6E7F8"'],
          'Apple-Mail=_7E1A2B3C-4D5E-6F70-8192-A3B4C5D6E7F8',
          [
            leaf('text/plain', ['Content-Transfer-Encoding: 7bit', 'Content-Type: text/plain;\n\tcharset=us-ascii'], 'Hi,\n\nHere is the signed lease.\n'),
            leaf('text/html', ['Content-Transfer-Encoding: 7bit', 'Content-Type: text/html;\n\tcharset=us-ascii'], '<html><head></head><body style="word-wrap: break-word;">Hi,<div><br></div><div>Here is the signed lease.</div></body></html>'),
          ],
          { preamble: '' },
        ),
        leaf(
          'application/pdf',
          ['Content-Disposition: attachment;\n\tfilename=Lease-2021.pdf', 'Content-Type: application/pdf;\n\tx-unix-mode=0644;\n\tname="Lease-2021.pdf"', 'Content-Transfer-Encoding: base64'],
          base64Lines(Buffer.concat([Buffer.from('%PDF-1.4\n'), fillerBytes(900, 3), Buffer.from('\n%%EOF\n')])),
        ),
        leaf('text/plain', ['Content-Transfer-Encoding: 7bit', 'Content-Type: text/plain;\n\tcharset=us-ascii'], '\nEmma\n'),
      ],
      { preamble: '' },
    ),
    bodystructure: (p) =>
      `((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 2)} NIL NIL NIL NIL)` +
      `("text" "html" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 3)} NIL NIL NIL NIL)` +
      ` "alternative" ("boundary" "Apple-Mail=_7E1A2B3C-4D5E-6F70-8192-A3B4C5D6E7F8") NIL NIL NIL)` +
      `("application" "pdf" ("x-unix-mode" "0644" "name" "Lease-2021.pdf") NIL NIL "base64" ${sz(p, 4)} NIL ("attachment" ("filename" "Lease-2021.pdf")) NIL NIL)` +
      `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 5)} NIL NIL NIL NIL)` +
      ` "mixed" ("boundary" "Apple-Mail=_0C0B0D21-5F3A-4C55-9F0E-7D7F9A1B2C3D") NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19.
    body: () =>
      '((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 34 3)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 124 0) "alternative")' +
      '("application" "pdf" ("x-unix-mode" "0644" "name" "Lease-2021.pdf") NIL NIL "base64" 1256)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 2) "mixed")',
    envelope:
      '("Mon, 8 Feb 2021 19:22:45 +0100" "Signed lease" (("Emma Wright" NIL "emma.wright" "icloud.example")) (("Emma Wright" NIL "emma.wright" "icloud.example"))' +
      ' (("Emma Wright" NIL "emma.wright" "icloud.example")) (("Landlord" NIL "rentals" "example.org")) NIL NIL "<CAF=7b2Kx@mail.gmail.example>" "<9C2B6F0A-3E1D-4B7A-8F61-2D0E5C4B3A21@icloud.example>")',
  },
  {
    name: 'apple-inline-images',
    description: 'Apple Mail with pictures in the text: alternative(plain, related(html, jpeg with Content-ID))',
    tree: multi(
      'multipart/alternative',
      [
        'From: Noah Kim <noah@me.example>',
        'Content-Type: multipart/alternative;\n\tboundary="Apple-Mail=_A1B2C3D4-0000-1111-2222-333344445555"',
        'Mime-Version: 1.0 (Mac OS X Mail 13.4 \\(3608.120.23.2.4\\))',
        'Subject: Photos from Saturday',
        'Date: Sun, 12 Jul 2020 10:15:02 -0400',
        'To: family@example.com',
        'Message-Id: <1F2E3D4C-5B6A-7988-A7B6-C5D4E3F2A1B0@me.example>',
      ],
      'Apple-Mail=_A1B2C3D4-0000-1111-2222-333344445555',
      [
        leaf('text/plain', ['Content-Transfer-Encoding: quoted-printable', 'Content-Type: text/plain;\n\tcharset=utf-8'], 'Look at this view!\n\n\n=E2=80=94 Noah'),
        multi(
          'multipart/related',
          ['Content-Type: multipart/related;\n\ttype="text/html";\n\tboundary="Apple-Mail=_F0E1D2C3-B4A5-9687-7869-5A4B3C2D1E0F"'],
          'Apple-Mail=_F0E1D2C3-B4A5-9687-7869-5A4B3C2D1E0F',
          [
            leaf(
              'text/html',
              ['Content-Transfer-Encoding: quoted-printable', 'Content-Type: text/html;\n\tcharset=utf-8'],
              '<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3Dutf-8"></head><body>Look at this view!<div><img src=3D"cid:8F1B2C3D-IMG@me.example"></div><div>=E2=80=94 Noah</div></body></html>',
            ),
            leaf(
              'image/jpeg',
              ['Content-Transfer-Encoding: base64', 'Content-Disposition: inline;\n\tfilename=IMG_4821.jpeg', 'Content-Type: image/jpeg;\n\tx-unix-mode=0644;\n\tname="IMG_4821.jpeg"', 'Content-Id: <8F1B2C3D-IMG@me.example>'],
              base64Lines(JPEG_HEAD),
            ),
          ],
          { preamble: '' },
        ),
      ],
      { preamble: '' },
    ),
    // Checked against Dovecot 2.3.19.
    bodystructure: () =>
      '(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 38 3 NIL NIL NIL NIL)(("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" 207 0 NIL NIL NIL NIL)' +
      '("image" "jpeg" ("x-unix-mode" "0644" "name" "IMG_4821.jpeg") "<8F1B2C3D-IMG@me.example>" NIL "base64" 852 NIL ("inline" ("filename" "IMG_4821.jpeg")) NIL NIL) "related" ("type" "text/html" "boundary" "Apple-Mail=_F0E1D2C3-B4A5-9687-7869-5A4B3C2D1E0F") NIL NIL NIL) "alternative" ("boundary" "Apple-Mail=_A1B2C3D4-0000-1111-2222-333344445555") NIL NIL NIL)',
    body: () =>
      '(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 38 3)(("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" 207 0)' +
      '("image" "jpeg" ("x-unix-mode" "0644" "name" "IMG_4821.jpeg") "<8F1B2C3D-IMG@me.example>" NIL "base64" 852) "related") "alternative")',
    envelope:
      '("Sun, 12 Jul 2020 10:15:02 -0400" "Photos from Saturday" (("Noah Kim" NIL "noah" "me.example")) (("Noah Kim" NIL "noah" "me.example"))' +
      ' (("Noah Kim" NIL "noah" "me.example")) ((NIL NIL "family" "example.com")) NIL NIL NIL "<1F2E3D4C-5B6A-7988-A7B6-C5D4E3F2A1B0@me.example>")',
  },
  // ---------------------------------------------------------------- Thunderbird
  {
    name: 'thunderbird-flowed',
    description: 'Thunderbird plain text, format=flowed, 8bit UTF-8',
    tree: leaf(
      'text/plain',
      [
        'Message-ID: <6a1f3c2e-9b7d-4e21-a0c5-1d2e3f4a5b6c@posteo.example>',
        'Date: Fri, 20 Aug 2021 14:03:55 +0200',
        'MIME-Version: 1.0',
        'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:78.0) Gecko/20100101 Thunderbird/78.13.0',
        'Content-Language: de-DE',
        'To: Jürgen <juergen@example.de>',
        'From: Lena Fischer <lena@posteo.example>',
        'Subject: Treffen am Montag',
        'Content-Type: text/plain; charset=utf-8; format=flowed',
        'Content-Transfer-Encoding: 8bit',
      ],
      'Hallo Jürgen,\n\nkönnen wir das Treffen am Montag auf 15 Uhr verschieben? Ich habe \nvorher noch einen Termin beim Zahnarzt.\n\nViele Grüße\nLena\n',
    ),
    bodystructure: (p) => `("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "8bit" ${sl(p, 0)} NIL NIL ("de-DE") NIL)`,
    // Checked against Dovecot 2.3.19; ENVELOPE differs from its answer by [8bit] (see the top of FIXTURES).
    body: () => '("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "8bit" 151 7)',
    envelope:
      '("Fri, 20 Aug 2021 14:03:55 +0200" "Treffen am Montag" (("Lena Fischer" NIL "lena" "posteo.example")) (("Lena Fischer" NIL "lena" "posteo.example"))' +
      ' (("Lena Fischer" NIL "lena" "posteo.example")) (("=?UTF-8?B?SsO8cmdlbg==?=" NIL "juergen" "example.de")) NIL NIL NIL "<6a1f3c2e-9b7d-4e21-a0c5-1d2e3f4a5b6c@posteo.example>")',
    // RFC 6855 §3: with UTF8=ACCEPT the raw UTF-8 name goes out as written, in a quoted string.
    envelopeUtf8:
      '("Fri, 20 Aug 2021 14:03:55 +0200" "Treffen am Montag" (("Lena Fischer" NIL "lena" "posteo.example")) (("Lena Fischer" NIL "lena" "posteo.example"))' +
      ' (("Lena Fischer" NIL "lena" "posteo.example")) (("Jürgen" NIL "juergen" "example.de")) NIL NIL NIL "<6a1f3c2e-9b7d-4e21-a0c5-1d2e3f4a5b6c@posteo.example>")',
  },
  {
    name: 'thunderbird-2231-chinese',
    description: 'Thunderbird attachment with a Chinese file name in RFC 2231 form, continued over several parameters',
    tree: multi(
      'multipart/mixed',
      [
        'Message-ID: <b3c1d2e4-5f60-7182-93a4-b5c6d7e8f901@example.cn>',
        'Date: Tue, 9 Mar 2021 10:20:30 +0800',
        'MIME-Version: 1.0',
        'User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:78.0) Gecko/20100101 Thunderbird/78.8.0',
        'From: =?UTF-8?B?5p2O5Zub?= <lisi@example.cn>',
        'To: =?UTF-8?B?5byg5LiJ?= <zhangsan@example.cn>',
        'Subject: =?UTF-8?B?5pys5pyI5oql6KGo?=',
        'Content-Type: multipart/mixed;\n boundary="------------8A1D2F3B4C5E6A7B8C9D0E1F"',
        'Content-Language: zh-CN',
      ],
      '------------8A1D2F3B4C5E6A7B8C9D0E1F',
      [
        leaf('text/plain', ['Content-Type: text/plain; charset=UTF-8; format=flowed', 'Content-Transfer-Encoding: 8bit'], '张三：\n\n附件是本月的报表，请查收。\n\n李四\n\n'),
        leaf(
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          [
            'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;\n name*0*=UTF-8\'\'%E6%9C%AC%E6%9C%88%E6%8A%A5%E8%A1%A8%EF%BC%88%E6%9C%80%E7%BB%88;\n name*1*=%E7%89%88%EF%BC%89.xlsx',
            'Content-Transfer-Encoding: base64',
            'Content-Disposition: attachment;\n filename*0*=UTF-8\'\'%E6%9C%AC%E6%9C%88%E6%8A%A5%E8%A1%A8%EF%BC%88%E6%9C%80%E7%BB%88;\n filename*1*=%E7%89%88%EF%BC%89.xlsx',
          ],
          base64Lines(Buffer.concat([Buffer.from('504b0304', 'hex'), fillerBytes(700, 11)])) + '\n',
        ),
      ],
      { preamble: 'This is a multi-part message in MIME format.' },
    ),
    // 本月报表（最终版）.xlsx: the two pieces join; non-ASCII, so re-encoded as one RFC 2231 value.
    // Differs from Dovecot 2.3.19's answer by [2231] (see the top of FIXTURES).
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "UTF-8" "format" "flowed") NIL NIL "8bit" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("application" "vnd.openxmlformats-officedocument.spreadsheetml.sheet" ("name*" "utf-8''%E6%9C%AC%E6%9C%88%E6%8A%A5%E8%A1%A8%EF%BC%88%E6%9C%80%E7%BB%88%E7%89%88%EF%BC%89.xlsx") NIL NIL "base64" ${sz(p, 2)} NIL ` +
      `("attachment" ("filename*" "utf-8''%E6%9C%AC%E6%9C%88%E6%8A%A5%E8%A1%A8%EF%BC%88%E6%9C%80%E7%BB%88%E7%89%88%EF%BC%89.xlsx")) NIL NIL)` +
      ` "mixed" ("boundary" "------------8A1D2F3B4C5E6A7B8C9D0E1F") NIL ("zh-CN") NIL)`,
    envelope:
      '("Tue, 9 Mar 2021 10:20:30 +0800" "=?UTF-8?B?5pys5pyI5oql6KGo?=" (("=?UTF-8?B?5p2O5Zub?=" NIL "lisi" "example.cn")) ' +
      '(("=?UTF-8?B?5p2O5Zub?=" NIL "lisi" "example.cn")) (("=?UTF-8?B?5p2O5Zub?=" NIL "lisi" "example.cn")) ' +
      '(("=?UTF-8?B?5byg5LiJ?=" NIL "zhangsan" "example.cn")) NIL NIL NIL "<b3c1d2e4-5f60-7182-93a4-b5c6d7e8f901@example.cn>")',
    // Differs from Dovecot 2.3.19's answer by [2231] (see the top of FIXTURES).
    body: () =>
      '(("text" "plain" ("charset" "UTF-8" "format" "flowed") NIL NIL "8bit" 66 6)("application" "vnd.openxmlformats-officedocument.spreadsheetml.sheet" ("name*" "utf-8\'\'%E6%9C%AC%E6%9C%88%E6%8A%A5%E8%A1%A8%EF%BC%88%E6%9C%80%E7%BB%88%E7%89%88%EF%BC%89.xlsx") NIL NIL "base64" 966) "mixed")',
  },
  // ---------------------------------------------------------------- Gmail
  {
    name: 'gmail-alternative-qp',
    description: 'Gmail: multipart/alternative with quoted-printable UTF-8 text and HTML',
    tree: multi(
      'multipart/alternative',
      [
        'MIME-Version: 1.0',
        'References: <CAKx1=first@mail.gmail.example> <CAKx1=second@mail.gmail.example>',
        'In-Reply-To: <CAKx1=second@mail.gmail.example>',
        'From: Priya Natarajan <priya.n@gmail.example>',
        'Date: Sat, 5 Nov 2022 21:47:13 +0530',
        'Message-ID: <CAPn7qZ3xK=Yv9m@mail.gmail.example>',
        'Subject: Re: Trip itinerary',
        'To: Marco Rossi <marco.rossi@example.it>',
        'Content-Type: multipart/alternative; boundary="000000000000f3a1b205ecb7c4d2"',
      ],
      '000000000000f3a1b205ecb7c4d2',
      [
        leaf(
          'text/plain',
          ['Content-Type: text/plain; charset="UTF-8"', 'Content-Transfer-Encoding: quoted-printable'],
          'Sounds great =E2=80=93 see you at the caf=C3=A9 at 9!\n\nOn Sat, 5 Nov 2022 at 18:02, Marco Rossi <marco.rossi@example.it> wrote:\n\n> Here is the itinerary for the trip. We start at the caf=C3=A9 near the stat=\nion.\n>\n',
        ),
        leaf(
          'text/html',
          ['Content-Type: text/html; charset="UTF-8"', 'Content-Transfer-Encoding: quoted-printable'],
          '<div dir=3D"ltr">Sounds great =E2=80=93 see you at the caf=C3=A9 at 9!</div><br><div class=3D"gmail_quote"><div dir=3D"ltr" class=3D"gmail_attr">On Sat, 5 Nov 2022 at 18:02, Marco Rossi &lt;<a href=3D"mailto:marco.rossi@example.it">marco.rossi@example.it</a>&gt; wrote:<br></div><blockquote class=3D"gmail_quote">Here is the itinerary for the trip.</blockquote></div>\n',
        ),
      ],
    ),
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "UTF-8") NIL NIL "quoted-printable" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("text" "html" ("charset" "UTF-8") NIL NIL "quoted-printable" ${sl(p, 2)} NIL NIL NIL NIL)` +
      ` "alternative" ("boundary" "000000000000f3a1b205ecb7c4d2") NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19.
    body: () =>
      '(("text" "plain" ("charset" "UTF-8") NIL NIL "quoted-printable" 222 7)("text" "html" ("charset" "UTF-8") NIL NIL "quoted-printable" 369 1) "alternative")',
    envelope:
      '("Sat, 5 Nov 2022 21:47:13 +0530" "Re: Trip itinerary" (("Priya Natarajan" NIL "priya.n" "gmail.example")) (("Priya Natarajan" NIL "priya.n" "gmail.example"))' +
      ' (("Priya Natarajan" NIL "priya.n" "gmail.example")) (("Marco Rossi" NIL "marco.rossi" "example.it")) NIL NIL "<CAKx1=second@mail.gmail.example>" "<CAPn7qZ3xK=Yv9m@mail.gmail.example>")',
  },
  {
    name: 'gmail-attachment',
    description: 'Gmail: mixed(alternative(plain, html), image/png attachment with X-Attachment-Id)',
    tree: multi(
      'multipart/mixed',
      [
        'MIME-Version: 1.0',
        'From: Tom Baker <tom.baker@gmail.example>',
        'Date: Mon, 16 Jan 2023 11:05:44 +0000',
        'Message-ID: <CAB7hQ2v=screenshot@mail.gmail.example>',
        'Subject: Screenshot of the error',
        'To: support@software.example',
        'Content-Type: multipart/mixed; boundary="0000000000004b7c9e05f25a1c3e"',
      ],
      '0000000000004b7c9e05f25a1c3e',
      [
        multi(
          'multipart/alternative',
          ['Content-Type: multipart/alternative; boundary="0000000000004b7c9b05f25a1c3c"'],
          '0000000000004b7c9b05f25a1c3c',
          [
            leaf('text/plain', ['Content-Type: text/plain; charset="UTF-8"'], 'The installer stops at 80%. Screenshot attached.\n'),
            leaf('text/html', ['Content-Type: text/html; charset="UTF-8"'], '<div dir="ltr">The installer stops at 80%. Screenshot attached.</div>\n'),
          ],
        ),
        leaf(
          'image/png',
          ['Content-Type: image/png; name="error.png"', 'Content-Disposition: attachment; filename="error.png"', 'Content-Transfer-Encoding: base64', 'Content-ID: <f_lcyh7rgv0>', 'X-Attachment-Id: f_lcyh7rgv0'],
          base64Lines(PNG) + '\n',
        ),
      ],
    ),
    // Checked against Dovecot 2.3.19.
    bodystructure: () =>
      '((("text" "plain" ("charset" "UTF-8") NIL NIL "7bit" 50 1 NIL NIL NIL NIL)("text" "html" ("charset" "UTF-8") NIL NIL "7bit" 71 1 NIL NIL NIL NIL) "alternative" ("boundary" "0000000000004b7c9b05f25a1c3c") NIL NIL NIL)' +
      '("image" "png" ("name" "error.png") "<f_lcyh7rgv0>" NIL "base64" 100 NIL ("attachment" ("filename" "error.png")) NIL NIL) "mixed" ("boundary" "0000000000004b7c9e05f25a1c3e") NIL NIL NIL)',
    body: () =>
      '((("text" "plain" ("charset" "UTF-8") NIL NIL "7bit" 50 1)("text" "html" ("charset" "UTF-8") NIL NIL "7bit" 71 1) "alternative")' +
      '("image" "png" ("name" "error.png") "<f_lcyh7rgv0>" NIL "base64" 100) "mixed")',
    envelope:
      '("Mon, 16 Jan 2023 11:05:44 +0000" "Screenshot of the error" (("Tom Baker" NIL "tom.baker" "gmail.example")) (("Tom Baker" NIL "tom.baker" "gmail.example"))' +
      ' (("Tom Baker" NIL "tom.baker" "gmail.example")) ((NIL NIL "support" "software.example")) NIL NIL NIL "<CAB7hQ2v=screenshot@mail.gmail.example>")',
  },
  // ---------------------------------------------------------------- Calendar
  {
    name: 'calendar-invite',
    description: 'Meeting request: alternative(plain, html, text/calendar method=REQUEST) plus an application/ics attachment',
    tree: multi(
      'multipart/mixed',
      [
        'From: "Garcia, Maria" <maria.garcia@contoso.com>',
        'To: "Team" <team@contoso.com>',
        'Subject: Design review',
        'Date: Wed, 15 Mar 2023 13:30:00 +0000',
        'Message-ID: <SN6PR04MB4640.invite@SN6PR04MB4640.namprd04.prod.outlook.com>',
        'Content-Language: en-US',
        'Content-Type: multipart/mixed; boundary="_003_SN6PR04MB4640invite_"',
        'MIME-Version: 1.0',
      ],
      '_003_SN6PR04MB4640invite_',
      [
        multi(
          'multipart/alternative',
          ['Content-Type: multipart/alternative; boundary="_000_SN6PR04MB4640invite_"'],
          '_000_SN6PR04MB4640invite_',
          [
            leaf('text/plain', ['Content-Type: text/plain; charset="us-ascii"'], 'Design review for the new onboarding flow.\n'),
            leaf('text/html', ['Content-Type: text/html; charset="us-ascii"'], '<html><body><p>Design review for the new onboarding flow.</p></body></html>\n'),
            leaf(
              'text/calendar',
              ['Content-Type: text/calendar; charset="utf-8"; method=REQUEST', 'Content-Transfer-Encoding: base64'],
              base64Lines(Buffer.from('BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nPRODID:Microsoft Exchange Server 2013\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY;LANGUAGE=en-US:Design review\r\nDTSTART:20230320T150000Z\r\nDTEND:20230320T160000Z\r\nUID:040000008200E00074C5B7101A82E008\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n')) + '\n',
            ),
          ],
        ),
        leaf(
          'application/ics',
          ['Content-Type: application/ics; name="invite.ics"', 'Content-Description: invite.ics', 'Content-Disposition: attachment; filename="invite.ics"; size=330', 'Content-Transfer-Encoding: base64'],
          base64Lines(Buffer.from('BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Design review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n')) + '\n',
        ),
      ],
    ),
    bodystructure: (p) =>
      `((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 2)} NIL NIL NIL NIL)` +
      `("text" "html" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 3)} NIL NIL NIL NIL)` +
      `("text" "calendar" ("charset" "utf-8" "method" "REQUEST") NIL NIL "base64" ${sl(p, 4)} NIL NIL NIL NIL)` +
      ` "alternative" ("boundary" "_000_SN6PR04MB4640invite_") NIL NIL NIL)` +
      `("application" "ics" ("name" "invite.ics") NIL "invite.ics" "base64" ${sz(p, 5)} NIL ("attachment" ("filename" "invite.ics" "size" "330")) NIL NIL)` +
      ` "mixed" ("boundary" "_003_SN6PR04MB4640invite_") NIL ("en-US") NIL)`,
    // Checked against Dovecot 2.3.19.
    body: () =>
      '((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 44 1)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 77 1)' +
      '("text" "calendar" ("charset" "utf-8" "method" "REQUEST") NIL NIL "base64" 346 5) "alternative")("application" "ics" ("name" "invite.ics") NIL "invite.ics" "base64" 152) "mixed")',
    envelope:
      '("Wed, 15 Mar 2023 13:30:00 +0000" "Design review" (("Garcia, Maria" NIL "maria.garcia" "contoso.com")) (("Garcia, Maria" NIL "maria.garcia" "contoso.com"))' +
      ' (("Garcia, Maria" NIL "maria.garcia" "contoso.com")) (("Team" NIL "team" "contoso.com")) NIL NIL NIL "<SN6PR04MB4640.invite@SN6PR04MB4640.namprd04.prod.outlook.com>")',
  },
  // ---------------------------------------------------------------- Chinese charsets
  {
    name: 'big5-encoded-words',
    description: 'Traditional Chinese (Big5): encoded-word subject and sender, Big5 body in 8bit',
    tree: leaf(
      'text/plain',
      [
        `From: =?big5?B?${iconv.encode('陳大文', 'big5').toString('base64')}?= <chan.taiman@example.com.tw>`,
        'To: staff@example.com.tw',
        `Subject: =?big5?B?${iconv.encode('會議通知：下週一上午十點', 'big5').toString('base64')}?=`,
        'Date: Thu, 4 May 2017 17:12:09 +0800',
        'Message-ID: <20170504091209.4F2A1@mail.example.com.tw>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset="big5"',
        'Content-Transfer-Encoding: 8bit',
      ],
      iconv.encode('各位同事：\r\n\r\n下週一上午十點在三樓會議室開會，請準時出席。\r\n\r\n謝謝\r\n陳大文\r\n', 'big5'),
    ),
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "big5") NIL NIL "8bit" 76 6 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "big5") NIL NIL "8bit" 76 6)',
    envelope:
      '("Thu, 4 May 2017 17:12:09 +0800" "=?big5?B?t3zEs7Nxqr6hR6RVtmekQKRXpMikUcJJ?=" (("=?big5?B?s6+kaqTl?=" NIL "chan.taiman" "example.com.tw"))' +
      ' (("=?big5?B?s6+kaqTl?=" NIL "chan.taiman" "example.com.tw")) (("=?big5?B?s6+kaqTl?=" NIL "chan.taiman" "example.com.tw"))' +
      ' ((NIL NIL "staff" "example.com.tw")) NIL NIL NIL "<20170504091209.4F2A1@mail.example.com.tw>")',
  },
  {
    name: 'big5-raw-headers',
    description: 'Big5 mailer that puts raw 8-bit Big5 bytes in Subject and From instead of encoded words',
    tree: leaf(
      'text/plain',
      [
        bytes('From: "', iconv.encode('陳大文', 'big5'), '" <chan.taiman@example.com.tw>'),
        'To: staff@example.com.tw',
        bytes('Subject: ', iconv.encode('會議通知：下週一上午十點', 'big5')),
        'Date: Thu, 4 May 2017 17:15:00 +0800',
        'Message-ID: <20170504091500.7C3B2@mail.example.com.tw>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=big5',
        'Content-Transfer-Encoding: 8bit',
      ],
      iconv.encode('請大家準時出席。\r\n', 'big5'),
    ),
    // Raw Big5 is decoded with the body's charset as the hint, then (no UTF8=ACCEPT) sent as
    // UTF-8 encoded words that any client can show.
    // Differs from Dovecot 2.3.19's answer by [8bit] (see the top of FIXTURES).
    envelope:
      `("Thu, 4 May 2017 17:15:00 +0800" "=?UTF-8?B?${b64('會議通知：下週一上午十點')}?=" ` +
      `(("=?UTF-8?B?${b64('陳大文')}?=" NIL "chan.taiman" "example.com.tw")) (("=?UTF-8?B?${b64('陳大文')}?=" NIL "chan.taiman" "example.com.tw")) ` +
      `(("=?UTF-8?B?${b64('陳大文')}?=" NIL "chan.taiman" "example.com.tw")) ((NIL NIL "staff" "example.com.tw")) NIL NIL NIL "<20170504091500.7C3B2@mail.example.com.tw>")`,
    envelopeUtf8:
      '("Thu, 4 May 2017 17:15:00 +0800" "會議通知：下週一上午十點" (("陳大文" NIL "chan.taiman" "example.com.tw")) (("陳大文" NIL "chan.taiman" "example.com.tw")) ' +
      '(("陳大文" NIL "chan.taiman" "example.com.tw")) ((NIL NIL "staff" "example.com.tw")) NIL NIL NIL "<20170504091500.7C3B2@mail.example.com.tw>")',
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "big5") NIL NIL "8bit" 18 1 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "big5") NIL NIL "8bit" 18 1)',
  },
  {
    name: 'gb18030-encoded-words',
    description: 'Simplified Chinese: GB18030 encoded words, base64 GB18030 body with a four-byte character',
    tree: leaf(
      'text/plain',
      [
        `From: =?GB18030?B?${iconv.encode('王小明', 'gb18030').toString('base64')}?= <wangxm@example.com.cn>`,
        'To: <report@example.com.cn>',
        `Subject: =?GB18030?B?${iconv.encode('关于项目进度的报告', 'gb18030').toString('base64')}?=`,
        'Date: Mon, 11 Dec 2023 09:30:00 +0800',
        'Message-ID: <202312110930000012345@example.com.cn>',
        'X-Mailer: Foxmail 7.2.25.228[cn]',
        'Mime-Version: 1.0',
        'Content-Type: text/plain; charset="GB18030"',
        'Content-Transfer-Encoding: base64',
      ],
      base64Lines(iconv.encode('您好：\r\n\r\n附件是本月的项目进度报告，请查收。预算余额为 €1200，生僻字㐀。\r\n\r\n王小明\r\n', 'gb18030')) + '\n',
    ),
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "GB18030") NIL NIL "base64" 120 2 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "GB18030") NIL NIL "base64" 120 2)',
    envelope:
      '("Mon, 11 Dec 2023 09:30:00 +0800" "=?GB18030?B?udjT2s/uxL+9+LbItcSxqLjm?=" (("=?GB18030?B?zfXQocP3?=" NIL "wangxm" "example.com.cn"))' +
      ' (("=?GB18030?B?zfXQocP3?=" NIL "wangxm" "example.com.cn")) (("=?GB18030?B?zfXQocP3?=" NIL "wangxm" "example.com.cn"))' +
      ' ((NIL NIL "report" "example.com.cn")) NIL NIL NIL "<202312110930000012345@example.com.cn>")',
  },
  {
    name: 'gb2312-raw-headers',
    description: 'Raw 8-bit GBK bytes in Subject and From, body labelled gb2312 (with GBK-only characters) in quoted-printable',
    tree: leaf(
      'text/plain',
      [
        bytes('From: ', iconv.encode('王小明', 'gbk'), ' <wangxm@example.com.cn>'),
        bytes('To: ', iconv.encode('项目组', 'gbk'), ': a@example.com.cn, b@example.com.cn;'),
        bytes('Subject: Re: ', iconv.encode('关于项目进度的报告', 'gbk')),
        'Date: Mon, 11 Dec 2023 10:02:00 +0800',
        'Message-ID: <202312111002000054321@example.com.cn>',
        'Mime-Version: 1.0',
        'Content-Type: text/plain; charset="gb2312"',
        'Content-Transfer-Encoding: quoted-printable',
      ],
      // 镕 (U+9555) is in GBK but not GB2312: mislabelled text like this is common.
      iconv
        .encode('收到，谢谢。朱镕基\r\n', 'gbk')
        .toString('latin1')
        .replace(/[\x80-\xff=]/g, (c) => '=' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')),
    ),
    envelopeUtf8:
      '("Mon, 11 Dec 2023 10:02:00 +0800" "Re: 关于项目进度的报告" (("王小明" NIL "wangxm" "example.com.cn")) (("王小明" NIL "wangxm" "example.com.cn")) ' +
      '(("王小明" NIL "wangxm" "example.com.cn")) ((NIL NIL "项目组" NIL)(NIL NIL "a" "example.com.cn")(NIL NIL "b" "example.com.cn")(NIL NIL NIL NIL)) NIL NIL NIL "<202312111002000054321@example.com.cn>")',
    // Checked against Dovecot 2.3.19; ENVELOPE differs from its answer by [8bit] (see the top of FIXTURES).
    bodystructure: () => '("text" "plain" ("charset" "gb2312") NIL NIL "quoted-printable" 54 1 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "gb2312") NIL NIL "quoted-printable" 54 1)',
    envelope:
      '("Mon, 11 Dec 2023 10:02:00 +0800" "=?UTF-8?B?UmU6IOWFs+S6jumhueebrui/m+W6pueahOaKpeWRig==?=" (("=?UTF-8?B?546L5bCP5piO?=" NIL "wangxm" "example.com.cn"))' +
      ' (("=?UTF-8?B?546L5bCP5piO?=" NIL "wangxm" "example.com.cn")) (("=?UTF-8?B?546L5bCP5piO?=" NIL "wangxm" "example.com.cn"))' +
      ' ((NIL NIL "=?UTF-8?B?6aG555uu57uE?=" NIL)(NIL NIL "a" "example.com.cn")(NIL NIL "b" "example.com.cn")(NIL NIL NIL NIL)) NIL NIL NIL "<202312111002000054321@example.com.cn>")',
  },
  {
    name: 'iso-2022-jp',
    description: 'Japanese: ISO-2022-JP encoded words and body (7bit, stateful escapes)',
    tree: leaf(
      'text/plain',
      [
        'From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <yamada@example.jp>',
        'To: tanaka@example.jp',
        'Subject: =?ISO-2022-JP?B?GyRCMnE1RDtxTkEbKEI=?=',
        'Date: Fri, 7 Apr 2023 15:00:00 +0900',
        'Message-ID: <20230407150000.A1B2@example.jp>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=ISO-2022-JP',
        'Content-Transfer-Encoding: 7bit',
      ],
      Buffer.from('1b2442242a4868246c4d4d2447243921231b28420d0a1b24424c40467c244e327135443b714e4124724177246a245e243921231b28420d0a', 'hex'),
    ),
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "ISO-2022-JP") NIL NIL "7bit" 56 2 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "ISO-2022-JP") NIL NIL "7bit" 56 2)',
    envelope:
      '("Fri, 7 Apr 2023 15:00:00 +0900" "=?ISO-2022-JP?B?GyRCMnE1RDtxTkEbKEI=?=" (("=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=" NIL "yamada" "example.jp"))' +
      ' (("=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=" NIL "yamada" "example.jp")) (("=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=" NIL "yamada" "example.jp"))' +
      ' ((NIL NIL "tanaka" "example.jp")) NIL NIL NIL "<20230407150000.A1B2@example.jp>")',
  },
  {
    name: 'windows-1252-qp',
    description: 'Western European: ISO-8859-1 encoded words, windows-1252 quoted-printable body with curly quotes and euro',
    tree: leaf(
      'text/plain',
      [
        'From: =?ISO-8859-1?Q?Fran=E7ois_M=FCller?= <francois@example.fr>',
        'To: =?ISO-8859-1?Q?Ren=E9e?= <renee@example.fr>, "=?utf-8?Q?J=C3=B6rg?=" <joerg@example.de>',
        'Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me_=E0_5_=80?=',
        'Date: Tue, 2 May 2023 08:45:00 +0200',
        'Message-ID: <0a1b2c3d@example.fr>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=windows-1252',
        'Content-Transfer-Encoding: quoted-printable',
      ],
      '=93Caf=E9 cr=E8me=94 costs =805 at the caf=E9 near the gare =96 see you there=\n!\n',
    ),
    envelope:
      '("Tue, 2 May 2023 08:45:00 +0200" "=?ISO-8859-1?Q?Caf=E9_cr=E8me_=E0_5_=80?=" (("=?ISO-8859-1?Q?Fran=E7ois_M=FCller?=" NIL "francois" "example.fr")) ' +
      '(("=?ISO-8859-1?Q?Fran=E7ois_M=FCller?=" NIL "francois" "example.fr")) (("=?ISO-8859-1?Q?Fran=E7ois_M=FCller?=" NIL "francois" "example.fr")) ' +
      '(("=?ISO-8859-1?Q?Ren=E9e?=" NIL "renee" "example.fr")("=?utf-8?Q?J=C3=B6rg?=" NIL "joerg" "example.de")) NIL NIL NIL "<0a1b2c3d@example.fr>")',
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "windows-1252") NIL NIL "quoted-printable" 83 2 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "windows-1252") NIL NIL "quoted-printable" 83 2)',
  },
  // ---------------------------------------------------------------- Encapsulation
  {
    name: 'forward-nested-twice',
    description: 'Forwarded as attachment twice: mixed(plain, rfc822(mixed(plain, rfc822(plain))))',
    tree: multi(
      'multipart/mixed',
      [
        'From: Carol <carol@example.org>',
        'To: Dan <dan@example.org>',
        'Subject: Fwd: Fwd: Budget',
        'Date: Thu, 1 Jun 2023 12:00:00 +0000',
        'Message-ID: <fwd2@example.org>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="outer-b"',
      ],
      'outer-b',
      [
        leaf('text/plain', ['Content-Type: text/plain; charset=us-ascii'], 'See below.\n'),
        message(
          'message/rfc822',
          ['Content-Type: message/rfc822; name="Fwd Budget.eml"', 'Content-Disposition: attachment; filename="Fwd Budget.eml"'],
          multi(
            'multipart/mixed',
            [
              'From: Bob <bob@example.org>',
              'To: Carol <carol@example.org>',
              'Subject: Fwd: Budget',
              'Date: Wed, 31 May 2023 17:00:00 +0000',
              'Message-ID: <fwd1@example.org>',
              'MIME-Version: 1.0',
              'Content-Type: multipart/mixed; boundary="middle-b"',
            ],
            'middle-b',
            [
              leaf('text/plain', ['Content-Type: text/plain; charset=us-ascii'], 'FYI\n'),
              message(
                'message/rfc822',
                ['Content-Type: message/rfc822'],
                leaf(
                  'text/plain',
                  ['From: Alice <alice@example.org>', 'To: Bob <bob@example.org>', 'Subject: Budget', 'Date: Wed, 31 May 2023 09:00:00 +0000', 'Message-ID: <orig@example.org>'],
                  'The budget is 10k.\n',
                ),
              ),
            ],
          ),
        ),
      ],
    ),
    // parts: 0 mixed, 1 plain, 2 rfc822, 3 inner mixed, 4 plain, 5 rfc822, 6 innermost plain
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("message" "rfc822" ("name" "Fwd Budget.eml") NIL NIL "7bit" ${sz(p, 2)} ` +
      `("Wed, 31 May 2023 17:00:00 +0000" "Fwd: Budget" (("Bob" NIL "bob" "example.org")) (("Bob" NIL "bob" "example.org")) (("Bob" NIL "bob" "example.org")) (("Carol" NIL "carol" "example.org")) NIL NIL NIL "<fwd1@example.org>") ` +
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 4)} NIL NIL NIL NIL)` +
      `("message" "rfc822" NIL NIL NIL "7bit" ${sz(p, 5)} ` +
      `("Wed, 31 May 2023 09:00:00 +0000" "Budget" (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Bob" NIL "bob" "example.org")) NIL NIL NIL "<orig@example.org>") ` +
      `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 6)} NIL NIL NIL NIL) ${ln(p, 5)} NIL NIL NIL NIL)` +
      ` "mixed" ("boundary" "middle-b") NIL NIL NIL) ${ln(p, 2)} NIL ("attachment" ("filename" "Fwd Budget.eml")) NIL NIL)` +
      ` "mixed" ("boundary" "outer-b") NIL NIL NIL)`,
    body: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 1)})` +
      `("message" "rfc822" ("name" "Fwd Budget.eml") NIL NIL "7bit" ${sz(p, 2)} ` +
      `("Wed, 31 May 2023 17:00:00 +0000" "Fwd: Budget" (("Bob" NIL "bob" "example.org")) (("Bob" NIL "bob" "example.org")) (("Bob" NIL "bob" "example.org")) (("Carol" NIL "carol" "example.org")) NIL NIL NIL "<fwd1@example.org>") ` +
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 4)})` +
      `("message" "rfc822" NIL NIL NIL "7bit" ${sz(p, 5)} ` +
      `("Wed, 31 May 2023 09:00:00 +0000" "Budget" (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Bob" NIL "bob" "example.org")) NIL NIL NIL "<orig@example.org>") ` +
      `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 6)}) ${ln(p, 5)})` +
      ` "mixed") ${ln(p, 2)}) "mixed")`,
    // Checked against Dovecot 2.3.19.
    envelope:
      '("Thu, 1 Jun 2023 12:00:00 +0000" "Fwd: Fwd: Budget" (("Carol" NIL "carol" "example.org")) (("Carol" NIL "carol" "example.org"))' +
      ' (("Carol" NIL "carol" "example.org")) (("Dan" NIL "dan" "example.org")) NIL NIL NIL "<fwd2@example.org>")',
  },
  {
    name: 'message-global',
    description: 'RFC 6532 message/global attachment with UTF-8 headers inside',
    tree: multi(
      'multipart/mixed',
      ['From: relay@example.com', 'To: user@example.com', 'Subject: Attached international message', 'Date: Sat, 1 Jul 2023 00:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="g"'],
      'g',
      [
        leaf('text/plain', [], 'Attached.\n'),
        message(
          'message/global',
          ['Content-Type: message/global', 'Content-Transfer-Encoding: 8bit'],
          leaf('text/plain', ['From: Jürgen <jürgen@bücher.example>', 'To: user@example.com', 'Subject: Grüße aus München', 'Content-Type: text/plain; charset=utf-8'], 'Servus!\n'),
        ),
      ],
    ),
    // Checked against Dovecot 2.3.19; BODYSTRUCTURE and BODY differ from its answer by [global] and [8bit] (see the top of FIXTURES).
    bodystructure: () =>
      '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 1 NIL NIL NIL NIL)("message" "global" NIL NIL NIL "8bit" 146 (NIL "=?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=" (("=?UTF-8?B?SsO8cmdlbg==?=" NIL {7}\r\njürgen {15}\r\nbücher.example))' +
      ' (("=?UTF-8?B?SsO8cmdlbg==?=" NIL {7}\r\njürgen {15}\r\nbücher.example)) (("=?UTF-8?B?SsO8cmdlbg==?=" NIL {7}\r\njürgen {15}\r\nbücher.example))' +
      ' ((NIL NIL "user" "example.com")) NIL NIL NIL NIL) ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 9 1 NIL NIL NIL NIL) 6 NIL NIL NIL NIL) "mixed" ("boundary" "g") NIL NIL NIL)',
    body: () =>
      '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 1)("message" "global" NIL NIL NIL "8bit" 146 (NIL "=?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=" (("=?UTF-8?B?SsO8cmdlbg==?=" NIL {7}\r\njürgen {15}\r\nbücher.example))' +
      ' (("=?UTF-8?B?SsO8cmdlbg==?=" NIL {7}\r\njürgen {15}\r\nbücher.example)) (("=?UTF-8?B?SsO8cmdlbg==?=" NIL {7}\r\njürgen {15}\r\nbücher.example))' +
      ' ((NIL NIL "user" "example.com")) NIL NIL NIL NIL) ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 9 1) 6) "mixed")',
    envelope:
      '("Sat, 1 Jul 2023 00:00:00 +0000" "Attached international message" ((NIL NIL "relay" "example.com")) ((NIL NIL "relay" "example.com"))' +
      ' ((NIL NIL "relay" "example.com")) ((NIL NIL "user" "example.com")) NIL NIL NIL NIL)',
  },
  {
    name: 'base64-rfc822',
    description: 'message/rfc822 with Content-Transfer-Encoding base64 (forbidden by RFC 2046 §5.2.1): not opened',
    tree: multi(
      'multipart/mixed',
      ['From: a@example.com', 'To: b@example.com', 'Subject: encoded attachment', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="enc"'],
      'enc',
      [
        leaf('text/plain', [], 'hi\n'),
        leaf(
          'message/rfc822',
          ['Content-Type: message/rfc822; name="msg.eml"', 'Content-Transfer-Encoding: base64'],
          base64Lines(Buffer.from('From: x@example.com\r\nSubject: inner\r\n\r\nbody\r\n')) + '\n',
        ),
      ],
    ),
    // Part 2 is shown as opaque data: no envelope can be produced without decoding it.
    // Differs from Dovecot 2.3.19's answer by [opaque] (see the top of FIXTURES).
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("application" "octet-stream" ("name" "msg.eml") NIL NIL "base64" ${sz(p, 2)} NIL NIL NIL NIL) "mixed" ("boundary" "enc") NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [opaque] (see the top of FIXTURES).
    body: () => '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 1)("application" "octet-stream" ("name" "msg.eml") NIL NIL "base64" 62) "mixed")',
    envelope:
      '(NIL "encoded attachment" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com"))' +
      ' ((NIL NIL "b" "example.com")) NIL NIL NIL NIL)',
  },
  {
    name: 'digest',
    description: 'multipart/digest: parts without Content-Type are message/rfc822 (RFC 2046 §5.1.5), one explicit text/plain',
    tree: multi(
      'multipart/digest',
      ['From: list-digest@lists.example.org', 'To: subscriber@example.com', 'Subject: Example-list Digest, Vol 12, Issue 3', 'Date: Fri, 3 Mar 2023 12:00:01 +0000', 'MIME-Version: 1.0', 'Content-Type: multipart/digest; boundary="===============digest=="'],
      '===============digest==',
      [
        leaf('text/plain', ['Content-Type: text/plain'], 'Today\'s topics:\n\n   1. Release 2.0 (Ann)\n   2. Re: Release 2.0 (Ben)\n'),
        message('message/rfc822', [], leaf('text/plain', ['From: Ann <ann@example.org>', 'Subject: Release 2.0', 'Date: Thu, 2 Mar 2023 10:00:00 +0000', 'Message-ID: <r2@example.org>'], 'Release 2.0 is out.\n')),
        message(
          'message/rfc822',
          [],
          leaf('text/plain', ['From: Ben <ben@example.org>', 'Subject: Re: Release 2.0', 'Date: Thu, 2 Mar 2023 11:00:00 +0000', 'In-Reply-To: <r2@example.org>', 'Message-ID: <r2b@example.org>'], 'Congratulations!\n'),
        ),
      ],
    ),
    // 0 digest, 1 plain, 2 rfc822 (default), 3 its message, 4 rfc822, 5 its message
    // Differs from Dovecot 2.3.19's answer by [charset] (see the top of FIXTURES).
    bodystructure: (p) =>
      `(("text" "plain" NIL NIL NIL "7bit" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("message" "rfc822" NIL NIL NIL "7bit" ${sz(p, 2)} ("Thu, 2 Mar 2023 10:00:00 +0000" "Release 2.0" (("Ann" NIL "ann" "example.org")) (("Ann" NIL "ann" "example.org")) (("Ann" NIL "ann" "example.org")) NIL NIL NIL NIL "<r2@example.org>") ` +
      `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 3)} NIL NIL NIL NIL) ${ln(p, 2)} NIL NIL NIL NIL)` +
      `("message" "rfc822" NIL NIL NIL "7bit" ${sz(p, 4)} ("Thu, 2 Mar 2023 11:00:00 +0000" "Re: Release 2.0" (("Ben" NIL "ben" "example.org")) (("Ben" NIL "ben" "example.org")) (("Ben" NIL "ben" "example.org")) NIL NIL NIL "<r2@example.org>" "<r2b@example.org>") ` +
      `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 5)} NIL NIL NIL NIL) ${ln(p, 4)} NIL NIL NIL NIL)` +
      ` "digest" ("boundary" "===============digest==") NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [charset] (see the top of FIXTURES).
    body: () =>
      '(("text" "plain" NIL NIL NIL "7bit" 73 4)("message" "rfc822" NIL NIL NIL "7bit" 142 ("Thu, 2 Mar 2023 10:00:00 +0000" "Release 2.0" (("Ann" NIL "ann" "example.org"))' +
      ' (("Ann" NIL "ann" "example.org")) (("Ann" NIL "ann" "example.org")) NIL NIL NIL NIL "<r2@example.org>") ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 21 1) 6)' +
      '("message" "rfc822" NIL NIL NIL "7bit" 175 ("Thu, 2 Mar 2023 11:00:00 +0000" "Re: Release 2.0" (("Ben" NIL "ben" "example.org"))' +
      ' (("Ben" NIL "ben" "example.org")) (("Ben" NIL "ben" "example.org")) NIL NIL NIL "<r2@example.org>" "<r2b@example.org>")' +
      ' ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 18 1) 7) "digest")',
    envelope:
      '("Fri, 3 Mar 2023 12:00:01 +0000" "Example-list Digest, Vol 12, Issue 3" ((NIL NIL "list-digest" "lists.example.org"))' +
      ' ((NIL NIL "list-digest" "lists.example.org")) ((NIL NIL "list-digest" "lists.example.org")) ((NIL NIL "subscriber" "example.com")) NIL NIL NIL NIL)',
  },
  {
    name: 'smime-signed',
    description: 'S/MIME multipart/signed with protocol and micalg parameters',
    tree: multi(
      'multipart/signed',
      [
        'From: Security Office <security@bank.example>',
        'To: customer@example.com',
        'Subject: Your statement is ready',
        'Date: Mon, 6 Feb 2023 07:00:00 +0000',
        'Message-ID: <stmt-2023-02@bank.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\n\tboundary="----4F1C2B3A5D6E7F80"',
      ],
      '----4F1C2B3A5D6E7F80',
      [
        leaf('text/plain', ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 7bit'], 'Your February statement is available in online banking.\n'),
        leaf(
          'application/pkcs7-signature',
          ['Content-Type: application/pkcs7-signature; name="smime.p7s"', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="smime.p7s"', 'Content-Description: S/MIME Cryptographic Signature'],
          base64Lines(Buffer.concat([Buffer.from('3082', 'hex'), fillerBytes(500, 99)])) + '\n',
        ),
      ],
      { preamble: 'This is an S/MIME signed message' },
    ),
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("application" "pkcs7-signature" ("name" "smime.p7s") NIL "S/MIME Cryptographic Signature" "base64" ${sz(p, 2)} NIL ("attachment" ("filename" "smime.p7s")) NIL NIL)` +
      ` "signed" ("protocol" "application/pkcs7-signature" "micalg" "sha-256" "boundary" "----4F1C2B3A5D6E7F80") NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19.
    body: () =>
      '(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 57 1)("application" "pkcs7-signature" ("name" "smime.p7s") NIL "S/MIME Cryptographic Signature" "base64" 690) "signed")',
    envelope:
      '("Mon, 6 Feb 2023 07:00:00 +0000" "Your statement is ready" (("Security Office" NIL "security" "bank.example"))' +
      ' (("Security Office" NIL "security" "bank.example")) (("Security Office" NIL "security" "bank.example")) ((NIL NIL "customer" "example.com")) NIL NIL NIL "<stmt-2023-02@bank.example>")',
  },
  {
    name: 'pgp-signed',
    description: 'PGP/MIME signed: multipart/signed around multipart/mixed, application/pgp-signature',
    tree: multi(
      'multipart/signed',
      [
        'From: Hans <hans@example.de>',
        'To: dev@lists.example.org',
        'Subject: [ANN] tool 3.1 released',
        'Date: Sun, 9 Apr 2023 20:00:00 +0200',
        'Message-ID: <ann31@example.de>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/signed; micalg=pgp-sha512;\n protocol="application/pgp-signature";\n boundary="pgp-sig-9f8e7d6c"',
      ],
      'pgp-sig-9f8e7d6c',
      [
        multi(
          'multipart/mixed',
          ['Content-Type: multipart/mixed; boundary="pgp-mixed-1a2b"; protected-headers="v1"', 'Subject: [ANN] tool 3.1 released'],
          'pgp-mixed-1a2b',
          [
            leaf('text/plain', ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'], 'Version 3.1 is out. Checksums below.\n'),
            leaf('text/plain', ['Content-Type: text/plain; charset=us-ascii; name="SHA256SUMS"', 'Content-Disposition: attachment; filename="SHA256SUMS"'], 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  tool-3.1.tar.gz\n'),
          ],
        ),
        leaf(
          'application/pgp-signature',
          ['Content-Type: application/pgp-signature; name="OpenPGP_signature.asc"', 'Content-Description: OpenPGP digital signature', 'Content-Disposition: attachment; filename="OpenPGP_signature.asc"'],
          '-----BEGIN PGP SIGNATURE-----\n\nwsF5BAABCAAjFiEE1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6FAmQzAAAFAwAAAAAACgkQ\n=AbCd\n-----END PGP SIGNATURE-----\n',
        ),
      ],
      { preamble: 'This is an OpenPGP/MIME signed message (RFC 4880 and 3156)' },
    ),
    // Checked against Dovecot 2.3.19.
    bodystructure: () =>
      '((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 38 1 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii" "name" "SHA256SUMS") NIL NIL "7bit" 83 1 NIL ("attachment" ("filename" "SHA256SUMS")) NIL NIL) "mixed" ("boundary" "pgp-mixed-1a2b" "protected-headers" "v1") NIL NIL NIL)' +
      '("application" "pgp-signature" ("name" "OpenPGP_signature.asc") NIL "OpenPGP digital signature" "7bit" 139 NIL ("attachment" ("filename" "OpenPGP_signature.asc")) NIL NIL) "signed" ("micalg" "pgp-sha512" "protocol" "application/pgp-signature" "boundary" "pgp-sig-9f8e7d6c") NIL NIL NIL)',
    body: () =>
      '((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 38 1)("text" "plain" ("charset" "us-ascii" "name" "SHA256SUMS") NIL NIL "7bit" 83 1) "mixed")' +
      '("application" "pgp-signature" ("name" "OpenPGP_signature.asc") NIL "OpenPGP digital signature" "7bit" 139) "signed")',
    envelope:
      '("Sun, 9 Apr 2023 20:00:00 +0200" "[ANN] tool 3.1 released" (("Hans" NIL "hans" "example.de")) (("Hans" NIL "hans" "example.de"))' +
      ' (("Hans" NIL "hans" "example.de")) ((NIL NIL "dev" "lists.example.org")) NIL NIL NIL "<ann31@example.de>")',
  },
  {
    name: 'dsn-report',
    description: 'Delivery status notification: multipart/report with message/delivery-status and text/rfc822-headers',
    tree: multi(
      'multipart/report',
      [
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
        'To: sender@example.com',
        'Subject: Undelivered Mail Returned to Sender',
        'Date: Tue, 21 Feb 2023 03:14:15 +0000 (UTC)',
        'Message-Id: <20230221031415.ABC123@mx.example.net>',
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="ABC123.1676949255/mx.example.net"',
      ],
      'ABC123.1676949255/mx.example.net',
      [
        leaf('text/plain', ['Content-Description: Notification', 'Content-Type: text/plain; charset=us-ascii'], 'This is the mail system at host mx.example.net.\n\nI\'m sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n<nobody@example.net>: host mail.example.net said: 550 5.1.1 User unknown\n'),
        leaf(
          'message/delivery-status',
          ['Content-Description: Delivery report', 'Content-Type: message/delivery-status'],
          'Reporting-MTA: dns; mx.example.net\nArrival-Date: Tue, 21 Feb 2023 03:14:10 +0000 (UTC)\n\nFinal-Recipient: rfc822; nobody@example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n',
        ),
        leaf('text/rfc822-headers', ['Content-Description: Undelivered Message Headers', 'Content-Type: text/rfc822-headers'], 'From: sender@example.com\nTo: nobody@example.net\nSubject: hello\nMessage-Id: <hello-1@example.com>\n'),
      ],
      { preamble: 'This is a MIME-encapsulated message.' },
    ),
    // Differs from Dovecot 2.3.19's answer by [charset] (see the top of FIXTURES).
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL "Notification" "7bit" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("message" "delivery-status" NIL NIL "Delivery report" "7bit" ${sz(p, 2)} NIL NIL NIL NIL)` +
      `("text" "rfc822-headers" NIL NIL "Undelivered Message Headers" "7bit" ${sl(p, 3)} NIL NIL NIL NIL)` +
      ` "report" ("report-type" "delivery-status" "boundary" "ABC123.1676949255/mx.example.net") NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [charset] (see the top of FIXTURES).
    body: () =>
      '(("text" "plain" ("charset" "us-ascii") NIL "Notification" "7bit" 229 6)("message" "delivery-status" NIL NIL "Delivery report" "7bit" 214)' +
      '("text" "rfc822-headers" NIL NIL "Undelivered Message Headers" "7bit" 101 4) "report")',
    envelope:
      '("Tue, 21 Feb 2023 03:14:15 +0000 (UTC)" "Undelivered Mail Returned to Sender" (("Mail Delivery System" NIL "MAILER-DAEMON" "mx.example.net"))' +
      ' (("Mail Delivery System" NIL "MAILER-DAEMON" "mx.example.net")) (("Mail Delivery System" NIL "MAILER-DAEMON" "mx.example.net"))' +
      ' ((NIL NIL "sender" "example.com")) NIL NIL NIL "<20230221031415.ABC123@mx.example.net>")',
  },
  {
    name: 'dsn-with-message',
    description: 'Exchange-style NDR: multipart/report with the returned message as message/rfc822',
    tree: multi(
      'multipart/report',
      [
        'From: Microsoft Outlook <postmaster@contoso.com>',
        'To: <alice@contoso.com>',
        'Subject: Undeliverable: Lunch?',
        'Date: Wed, 22 Feb 2023 12:00:00 +0000',
        'Message-ID: <ndr-1@contoso.com>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="a1b2c3d4-ndr"',
        'Content-Language: en-US',
      ],
      'a1b2c3d4-ndr',
      [
        leaf('text/plain', ['Content-Type: text/plain; charset="us-ascii"'], 'Delivery has failed to these recipients or groups:\n\nbob@fabrikam.example\n'),
        leaf('message/delivery-status', ['Content-Type: message/delivery-status'], 'Reporting-MTA: dns;EXCH01.contoso.com\n\nFinal-recipient: RFC822; bob@fabrikam.example\nAction: failed\nStatus: 5.4.1\n'),
        message('message/rfc822', ['Content-Type: message/rfc822'], leaf('text/plain', ['From: Alice <alice@contoso.com>', 'To: bob@fabrikam.example', 'Subject: Lunch?', 'Date: Wed, 22 Feb 2023 11:59:00 +0000', 'Message-ID: <lunch@contoso.com>', 'Content-Type: text/plain; charset="us-ascii"'], 'Are you free at noon?\n')),
      ],
    ),
    // 0 report, 1 plain, 2 delivery-status, 3 rfc822, 4 its message
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 1)} NIL NIL NIL NIL)` +
      `("message" "delivery-status" NIL NIL NIL "7bit" ${sz(p, 2)} NIL NIL NIL NIL)` +
      `("message" "rfc822" NIL NIL NIL "7bit" ${sz(p, 3)} ("Wed, 22 Feb 2023 11:59:00 +0000" "Lunch?" (("Alice" NIL "alice" "contoso.com")) (("Alice" NIL "alice" "contoso.com")) (("Alice" NIL "alice" "contoso.com")) ((NIL NIL "bob" "fabrikam.example")) NIL NIL NIL "<lunch@contoso.com>") ` +
      `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 4)} NIL NIL NIL NIL) ${ln(p, 3)} NIL NIL NIL NIL)` +
      ` "report" ("report-type" "delivery-status" "boundary" "a1b2c3d4-ndr") NIL ("en-US") NIL)`,
    // Checked against Dovecot 2.3.19.
    body: () =>
      '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 76 3)("message" "delivery-status" NIL NIL NIL "7bit" 119)' +
      '("message" "rfc822" NIL NIL NIL "7bit" 219 ("Wed, 22 Feb 2023 11:59:00 +0000" "Lunch?" (("Alice" NIL "alice" "contoso.com"))' +
      ' (("Alice" NIL "alice" "contoso.com")) (("Alice" NIL "alice" "contoso.com")) ((NIL NIL "bob" "fabrikam.example")) NIL NIL NIL "<lunch@contoso.com>")' +
      ' ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 23 1) 8) "report")',
    envelope:
      '("Wed, 22 Feb 2023 12:00:00 +0000" "Undeliverable: Lunch?" (("Microsoft Outlook" NIL "postmaster" "contoso.com"))' +
      ' (("Microsoft Outlook" NIL "postmaster" "contoso.com")) (("Microsoft Outlook" NIL "postmaster" "contoso.com"))' +
      ' ((NIL NIL "alice" "contoso.com")) NIL NIL NIL "<ndr-1@contoso.com>")',
  },
  // ---------------------------------------------------------------- Degenerate shapes
  {
    name: 'empty-body',
    description: 'Header, blank line, no body at all',
    raw: 'From: a@example.com\nTo: b@example.com\nSubject: (no subject)\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <empty@example.com>\n\n',
    parts: [{ type: 'text/plain', body: '' }],
    bodystructure: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)',
    envelope:
      '("Mon, 1 Jan 2024 00:00:00 +0000" "(no subject)" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "b" "example.com")) NIL NIL NIL "<empty@example.com>")',
  },
  {
    name: 'header-only',
    description: 'No blank line: the whole message is header (RFC 5322 §3.5 allows a message without a body)',
    raw: 'From: a@example.com\nTo: b@example.com\nSubject: header only\nContent-Type: text/plain; charset=utf-8',
    parts: [{ type: 'text/plain', body: '' }],
    bodystructure: () => '("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)',
    envelope: '(NIL "header only" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "b" "example.com")) NIL NIL NIL NIL)',
    // Checked against Dovecot 2.3.19.
    body: () => '("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 0 0)',
  },
  {
    name: 'no-content-type',
    description: 'Plain RFC 5322 message without MIME headers: text/plain; charset=us-ascii (RFC 2045 §5.2)',
    raw: 'Return-Path: <root@host.example>\nReceived: from host.example (localhost [127.0.0.1])\n\tby host.example with ESMTP id 1A2B3C\n\tfor <admin@host.example>; Mon, 2 Jan 2023 03:00:01 +0000\nFrom: root@host.example (Cron Daemon)\nTo: admin@host.example\nSubject: Cron <root@host> /usr/local/bin/backup\nDate: Mon, 2 Jan 2023 03:00:01 +0000\nMessage-Id: <20230102030001.1A2B3C@host.example>\n\nbackup: 14 files, 2.3 GB\nbackup: done\n',
    parts: [{ type: 'text/plain', body: 'backup: 14 files, 2.3 GB\nbackup: done\n' }],
    bodystructure: (p) => `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sl(p, 0)} NIL NIL NIL NIL)`,
    envelope:
      '("Mon, 2 Jan 2023 03:00:01 +0000" "Cron <root@host> /usr/local/bin/backup" (("Cron Daemon" NIL "root" "host.example")) (("Cron Daemon" NIL "root" "host.example")) ' +
      '(("Cron Daemon" NIL "root" "host.example")) ((NIL NIL "admin" "host.example")) NIL NIL NIL "<20230102030001.1A2B3C@host.example>")',
    // Checked against Dovecot 2.3.19.
    body: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 40 2)',
  },
  {
    name: 'missing-closing-boundary',
    description: 'Multipart whose close delimiter never comes: the last part runs to the end of the data',
    raw: 'From: a@example.com\nSubject: truncated upload\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="cut"\n\n--cut\nContent-Type: text/plain\n\nfirst\n--cut\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\nAAEC',
    parts: [
      { type: 'multipart/mixed', body: '--cut\nContent-Type: text/plain\n\nfirst\n--cut\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\nAAEC' },
      { type: 'text/plain', body: 'first' },
      { type: 'application/octet-stream', body: 'AAECAwQFBgcICQ==\nAAEC' },
    ],
    // Differs from Dovecot 2.3.19's answer by [charset] (see the top of FIXTURES).
    bodystructure: (p) =>
      `(("text" "plain" NIL NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("application" "octet-stream" NIL NIL NIL "base64" ${sz(p, 2)} NIL NIL NIL NIL) "mixed" ("boundary" "cut") NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [charset] (see the top of FIXTURES).
    body: () => '(("text" "plain" NIL NIL NIL "7bit" 5 0)("application" "octet-stream" NIL NIL NIL "base64" 22) "mixed")',
    envelope: '(NIL "truncated upload" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'boundary-never-found',
    description: 'Multipart with a boundary that never occurs: no parts, BODYSTRUCTURE gets one empty text/plain',
    raw: 'From: a@example.com\nSubject: where are the parts\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="nowhere"\n\n--elsewhere\nContent-Type: text/plain\n\nhello\n--elsewhere--\n',
    parts: [{ type: 'multipart/alternative', body: '--elsewhere\nContent-Type: text/plain\n\nhello\n--elsewhere--\n' }],
    bodystructure: () => '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "alternative" ("boundary" "nowhere") NIL NIL NIL)',
    body: () => '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "alternative")',
    // Checked against Dovecot 2.3.19.
    envelope: '(NIL "where are the parts" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'multipart-no-boundary',
    description: 'multipart/mixed without a boundary parameter: one opaque body (RFC 2046 §5.1.1 requires the parameter)',
    raw: 'From: a@example.com\nSubject: no boundary\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nnot a part\n--x--\n',
    parts: [{ type: 'multipart/mixed', body: '--x\nContent-Type: text/plain\n\nnot a part\n--x--\n' }],
    // Differs from Dovecot 2.3.19's answer by [opaque] (see the top of FIXTURES).
    bodystructure: (p) => `("application" "octet-stream" NIL NIL NIL "7bit" ${sz(p, 0)} NIL NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [opaque] (see the top of FIXTURES).
    body: () => '("application" "octet-stream" NIL NIL NIL "7bit" 52)',
    envelope: '(NIL "no boundary" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'multipart-empty-boundary',
    description: 'multipart/related with boundary="" : as without a boundary',
    raw: 'From: a@example.com\nSubject: empty boundary\nContent-Type: multipart/related; boundary=""; type="text/html"\n\n--\nContent-Type: text/html\n\n<p>x</p>\n----\n',
    parts: [{ type: 'multipart/related', body: '--\nContent-Type: text/html\n\n<p>x</p>\n----\n' }],
    // Differs from Dovecot 2.3.19's answer by [opaque] (see the top of FIXTURES).
    bodystructure: (p) => `("application" "octet-stream" ("boundary" "" "type" "text/html") NIL NIL "7bit" ${sz(p, 0)} NIL NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [opaque] (see the top of FIXTURES).
    body: () => '("application" "octet-stream" ("boundary" "" "type" "text/html") NIL NIL "7bit" 47)',
    envelope: '(NIL "empty boundary" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'bare-lf',
    description: 'Message stored with bare LF line ends (Unix mbox export): boundaries and blank lines still found',
    eol: '\n',
    tree: multi(
      'multipart/mixed',
      ['From: unix@example.org', 'To: user@example.org', 'Subject: LF only', 'Date: Sun, 1 Oct 2023 10:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="lf-bound"'],
      'lf-bound',
      [leaf('text/plain', ['Content-Type: text/plain; charset=us-ascii'], 'line one\nline two\n'), leaf('text/x-shellscript', ['Content-Type: text/x-shellscript; name="run.sh"', 'Content-Disposition: attachment; filename="run.sh"'], '#!/bin/sh\necho hi\n')],
    ),
    // Differs from Dovecot 2.3.19's answer by [lf] and [charset] (see the top of FIXTURES).
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ${sz(p, 1)} 2 NIL NIL NIL NIL)` +
      `("text" "x-shellscript" ("name" "run.sh") NIL NIL "7bit" ${sz(p, 2)} 2 NIL ("attachment" ("filename" "run.sh")) NIL NIL) "mixed" ("boundary" "lf-bound") NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [lf] and [charset] (see the top of FIXTURES).
    body: () => '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 18 2)("text" "x-shellscript" ("name" "run.sh") NIL NIL "7bit" 18 2) "mixed")',
    envelope:
      '("Sun, 1 Oct 2023 10:00:00 +0000" "LF only" ((NIL NIL "unix" "example.org")) ((NIL NIL "unix" "example.org")) ((NIL NIL "unix" "example.org"))' +
      ' ((NIL NIL "user" "example.org")) NIL NIL NIL NIL)',
  },
  {
    name: 'utf8-raw-headers',
    description: 'RFC 6532 UTF-8 headers: raw UTF-8 in Subject, display names and an internationalized address',
    tree: leaf(
      'text/plain',
      ['From: Zoë Ångström <zoë@例え.jp>', 'To: "Ñoño, José" <jose@example.es>', 'Subject: Ünïcödé — naïve café', 'Date: Wed, 5 Jul 2023 12:00:00 +0000', 'Message-ID: <utf8hdr@例え.jp>', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'],
      'Grüße\n',
    ),
    envelopeUtf8:
      '("Wed, 5 Jul 2023 12:00:00 +0000" "Ünïcödé — naïve café" (("Zoë Ångström" NIL "zoë" "例え.jp")) (("Zoë Ångström" NIL "zoë" "例え.jp")) (("Zoë Ångström" NIL "zoë" "例え.jp")) ' +
      '(("Ñoño, José" NIL "jose" "example.es")) NIL NIL NIL "<utf8hdr@例え.jp>")',
    // Without UTF8=ACCEPT the phrases become encoded words; address parts cannot, so they are literals.
    // Differs from Dovecot 2.3.19's answer by [8bit] (see the top of FIXTURES).
    envelope:
      `("Wed, 5 Jul 2023 12:00:00 +0000" "=?UTF-8?B?${b64('Ünïcödé — naïve café')}?=" ` +
      `(("=?UTF-8?B?${b64('Zoë Ångström')}?=" NIL {4}\r\nzoë {9}\r\n例え.jp)) (("=?UTF-8?B?${b64('Zoë Ångström')}?=" NIL {4}\r\nzoë {9}\r\n例え.jp)) ` +
      `(("=?UTF-8?B?${b64('Zoë Ångström')}?=" NIL {4}\r\nzoë {9}\r\n例え.jp)) (("=?UTF-8?B?${b64('Ñoño, José')}?=" NIL "jose" "example.es")) NIL NIL NIL {19}\r\n<utf8hdr@例え.jp>)`,
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "utf-8") NIL NIL "8bit" 9 1 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "utf-8") NIL NIL "8bit" 9 1)',
  },
  {
    name: 'long-header-line',
    description: 'A 40 kB References line without folding and a long folded Subject',
    tree: leaf(
      'text/plain',
      [
        'From: robot@ci.example',
        'To: dev@example.com',
        'Subject: [CI] build #48213 failed: test_network_timeout, test_tls_handshake,\n test_retry_budget, test_dns_fallback, test_ipv6_only, test_proxy_auth',
        'Date: Thu, 7 Sep 2023 23:59:59 +0000',
        'Message-ID: <build-48213@ci.example>',
        'References: ' + Array.from({ length: 1200 }, (_, i) => `<build-${47000 + i}@ci.example>`).join(' '),
        'Content-Type: text/plain',
      ],
      'See the log.\n',
    ),
    envelope:
      '("Thu, 7 Sep 2023 23:59:59 +0000" "[CI] build #48213 failed: test_network_timeout, test_tls_handshake, test_retry_budget, test_dns_fallback, test_ipv6_only, test_proxy_auth" ' +
      '((NIL NIL "robot" "ci.example")) ((NIL NIL "robot" "ci.example")) ((NIL NIL "robot" "ci.example")) ((NIL NIL "dev" "example.com")) NIL NIL NIL "<build-48213@ci.example>")',
    // Differs from Dovecot 2.3.19's answer by [charset] (see the top of FIXTURES).
    bodystructure: () => '("text" "plain" NIL NIL NIL "7bit" 14 1 NIL NIL NIL NIL)',
    body: () => '("text" "plain" NIL NIL NIL "7bit" 14 1)',
  },
  {
    name: 'group-addresses',
    description: 'Group syntax in To and Cc, an empty group, Bcc present but empty, Sender and Reply-To',
    tree: leaf(
      'text/plain',
      [
        'From: Board Secretary <secretary@club.example>',
        'Sender: mailer@club.example',
        'Reply-To: Board: chair@club.example, "Treasurer" <money@club.example>;',
        'To: "Board Members": anna@club.example, Ben <ben@club.example>;, guest@elsewhere.example',
        'Cc: undisclosed-recipients:;',
        'Bcc:',
        'Subject: Minutes',
        'Date: Mon, 9 Oct 2023 18:00:00 +0000',
        'Message-ID: <minutes-2023-10@club.example>',
      ],
      'Minutes attached in the next mail.\n',
    ),
    envelope:
      '("Mon, 9 Oct 2023 18:00:00 +0000" "Minutes" (("Board Secretary" NIL "secretary" "club.example")) ((NIL NIL "mailer" "club.example")) ' +
      '((NIL NIL "Board" NIL)(NIL NIL "chair" "club.example")("Treasurer" NIL "money" "club.example")(NIL NIL NIL NIL)) ' +
      '((NIL NIL "Board Members" NIL)(NIL NIL "anna" "club.example")("Ben" NIL "ben" "club.example")(NIL NIL NIL NIL)(NIL NIL "guest" "elsewhere.example")) ' +
      '((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL "<minutes-2023-10@club.example>")',
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 36 1 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 36 1)',
  },
  {
    name: 'encoded-word-names',
    description: 'RFC 2047 §8 examples: encoded words in display names, adjacent words, quoted encoded word (common violation)',
    tree: leaf(
      'text/plain',
      [
        'From: =?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.example>',
        'To: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.example>',
        'CC: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.example>, "=?utf-8?B?5byg5LiJ?=" <zhang@example.cn>',
        'Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=',
        'Date: Tue, 10 Oct 2023 10:10:10 +0000',
        'Message-ID: <rfc2047@example.org>',
      ],
      'Encoded words everywhere.\n',
    ),
    envelope:
      '("Tue, 10 Oct 2023 10:10:10 +0000" "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=" ' +
      '(("=?US-ASCII?Q?Keith_Moore?=" NIL "moore" "cs.utk.example")) (("=?US-ASCII?Q?Keith_Moore?=" NIL "moore" "cs.utk.example")) (("=?US-ASCII?Q?Keith_Moore?=" NIL "moore" "cs.utk.example")) ' +
      '(("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=" NIL "keld" "dkuug.example")) (("=?ISO-8859-1?Q?Andr=E9?= Pirard" NIL "PIRARD" "vm1.ulg.example")("=?utf-8?B?5byg5LiJ?=" NIL "zhang" "example.cn")) NIL NIL "<rfc2047@example.org>")',
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 27 1 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 27 1)',
  },
  {
    name: 'obsolete-addresses',
    description: 'RFC 5322 §4.4 obsolete syntax: source route, comments as names, quoted local part, missing domain',
    tree: leaf(
      'text/plain',
      [
        'From: Joe Q. Public <@relay1.example,@relay2.example:john.q.public@example.com>',
        'To: Mary Smith <@node.test:mary@example.net>, , jdoe@test   . example (John Doe), "john doe"@example.org',
        'Cc: pete(his account)@silly.test(his host), undisclosed-recipients',
        'Subject: obsolete forms',
        'Date: Thu,\n      13\n        Feb\n          1969\n      23:32\n               -0330 (Newfoundland Time)',
        'Message-ID:              <testabcd.1234@silly.test>',
      ],
      'Testing.\n',
    ),
    // RFC 3501 §7.4.2: the route goes in the adl field. A lone local part has no host; NIL would
    // mean a group, so MISSING_DOMAIN stands in. Date and Message-ID are sent unfolded, as written.
    // Differs from Dovecot 2.3.19's answer by [obs] (see the top of FIXTURES).
    envelope:
      '("Thu,      13        Feb          1969      23:32               -0330 (Newfoundland Time)" "obsolete forms" ' +
      '(("Joe Q. Public" "@relay1.example,@relay2.example" "john.q.public" "example.com")) (("Joe Q. Public" "@relay1.example,@relay2.example" "john.q.public" "example.com")) ' +
      '(("Joe Q. Public" "@relay1.example,@relay2.example" "john.q.public" "example.com")) ' +
      '(("Mary Smith" "@node.test" "mary" "example.net")("John Doe" NIL "jdoe" "test.example")(NIL NIL "john doe" "example.org")) ' +
      '(("his account his host" NIL "pete" "silly.test")(NIL NIL "undisclosed-recipients" "MISSING_DOMAIN")) NIL NIL "<testabcd.1234@silly.test>")',
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1)',
  },
  {
    name: 'transport-padding',
    description: 'Boundary lines with trailing blanks (RFC 2046 §5.1.1 transport padding), preamble and epilogue',
    tree: multi(
      'multipart/mixed',
      ['From: a@example.com', 'Subject: padded', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=simple'],
      'simple',
      [leaf('text/plain', [], 'first part\n'), leaf('text/plain', ['Content-Type: text/plain; charset=us-ascii'], 'second part\n')],
      { padding: ' \t  ', preamble: 'This is the preamble.  It is to be ignored.', epilogue: 'This is the epilogue.  It is also to be ignored.\n' },
    ),
    bodystructure: (p) =>
      `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 1 NIL NIL NIL NIL) "mixed" ("boundary" "simple") NIL NIL NIL)` +
      (p.length === 3 ? '' : 'wrong part count'),
    // Checked against Dovecot 2.3.19.
    body: () => '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 1) "mixed")',
    envelope: '(NIL "padded" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'boundary-prefix',
    description: 'Inner boundary that extends the outer one ("=_b" and "=_b_1"): lines must match exactly, not by prefix',
    tree: multi(
      'multipart/mixed',
      ['From: a@example.com', 'Subject: prefix boundaries', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="=_b"'],
      '=_b',
      [
        multi('multipart/alternative', ['Content-Type: multipart/alternative; boundary="=_b_1"'], '=_b_1', [leaf('text/plain', [], 'plain\n'), leaf('text/html', ['Content-Type: text/html'], '<p>html</p>\n')]),
        leaf('application/zip', ['Content-Type: application/zip', 'Content-Transfer-Encoding: base64'], base64Lines(fillerBytes(120, 5)) + '\n'),
      ],
    ),
    // Checked against Dovecot 2.3.19; BODYSTRUCTURE and BODY differ from its answer by [charset] (see the top of FIXTURES).
    bodystructure: () =>
      '((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL)("text" "html" NIL NIL NIL "7bit" 13 1 NIL NIL NIL NIL) "alternative" ("boundary" "=_b_1") NIL NIL NIL)' +
      '("application" "zip" NIL NIL NIL "base64" 166 NIL NIL NIL NIL) "mixed" ("boundary" "=_b") NIL NIL NIL)',
    body: () =>
      '((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1)("text" "html" NIL NIL NIL "7bit" 13 1) "alternative")' +
      '("application" "zip" NIL NIL NIL "base64" 166) "mixed")',
    envelope: '(NIL "prefix boundaries" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'inner-unclosed',
    description: 'Inner multipart missing its close delimiter: the outer boundary ends it',
    raw: 'From: a@example.com\nSubject: unclosed inner\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="outer"\n\n--outer\nContent-Type: multipart/alternative; boundary="inner"\n\n--inner\nContent-Type: text/plain\n\nplain\n--inner\nContent-Type: text/html\n\n<b>html</b>\n--outer\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--outer--\n',
    parts: [
      { type: 'multipart/mixed', body: '--outer\nContent-Type: multipart/alternative; boundary="inner"\n\n--inner\nContent-Type: text/plain\n\nplain\n--inner\nContent-Type: text/html\n\n<b>html</b>\n--outer\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--outer--\n' },
      { type: 'multipart/alternative', body: '--inner\nContent-Type: text/plain\n\nplain\n--inner\nContent-Type: text/html\n\n<b>html</b>' },
      { type: 'text/plain', body: 'plain' },
      { type: 'text/html', body: '<b>html</b>' },
      { type: 'image/gif', body: 'R0lGODlhAQABAAAAACw=' },
    ],
    // Differs from Dovecot 2.3.19's answer by [charset] (see the top of FIXTURES).
    bodystructure: () =>
      '((("text" "plain" NIL NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("text" "html" NIL NIL NIL "7bit" 11 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)' +
      '("image" "gif" NIL NIL NIL "base64" 20 NIL NIL NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL)',
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [charset] (see the top of FIXTURES).
    body: () => '((("text" "plain" NIL NIL NIL "7bit" 5 0)("text" "html" NIL NIL NIL "7bit" 11 0) "alternative")("image" "gif" NIL NIL NIL "base64" 20) "mixed")',
    envelope: '(NIL "unclosed inner" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'header-into-boundary',
    description: 'A part whose header runs straight into the next boundary (no blank line): empty body',
    raw: 'From: a@example.com\nSubject: headers only part\nContent-Type: multipart/mixed; boundary=hb\n\n--hb\nContent-Type: text/plain\nContent-Disposition: inline\n--hb\n\nbody of the second part\n--hb--\n',
    parts: [
      { type: 'multipart/mixed', body: '--hb\nContent-Type: text/plain\nContent-Disposition: inline\n--hb\n\nbody of the second part\n--hb--\n' },
      { type: 'text/plain', body: '' },
      { type: 'text/plain', body: 'body of the second part' },
    ],
    // Differs from Dovecot 2.3.19's answer by [charset] (see the top of FIXTURES).
    bodystructure: () =>
      '(("text" "plain" NIL NIL NIL "7bit" 0 0 NIL ("inline" NIL) NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 23 0 NIL NIL NIL NIL) "mixed" ("boundary" "hb") NIL NIL NIL)',
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [charset] (see the top of FIXTURES).
    body: () => '(("text" "plain" NIL NIL NIL "7bit" 0 0)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 23 0) "mixed")',
    envelope: '(NIL "headers only part" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'nul-bytes',
    description: 'NUL bytes and 8-bit data in a body declared 7bit, and a NUL in a header',
    raw: Buffer.from('From: a@example.com\r\nSubject: nul\x00inside\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\x02\xff\xfe\r\n\x00\r\n', 'latin1'),
    parts: [{ type: 'application/octet-stream', body: Buffer.from('\x00\x01\x02\xff\xfe\r\n\x00\r\n', 'latin1') }],
    bodystructure: () => '("application" "octet-stream" NIL NIL NIL "7bit" 10 NIL NIL NIL NIL)',
    // NUL cannot be sent in an IMAP string: it is dropped.
    // Differs from Dovecot 2.3.19's answer by [nul] (see the top of FIXTURES).
    envelope: '(NIL "nulinside" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
    // Checked against Dovecot 2.3.19.
    body: () => '("application" "octet-stream" NIL NIL NIL "7bit" 10)',
  },
  {
    name: 'mbox-from-line',
    description: 'Message that still starts with its mbox "From " line (not a header field)',
    raw: 'From sender@example.com Mon Jan  1 00:00:00 2024\nFrom: sender@example.com\nTo: you@example.com\nSubject: mbox\n\nHello\n',
    parts: [{ type: 'text/plain', body: 'Hello\n' }],
    envelope: '(NIL "mbox" ((NIL NIL "sender" "example.com")) ((NIL NIL "sender" "example.com")) ((NIL NIL "sender" "example.com")) ((NIL NIL "you" "example.com")) NIL NIL NIL NIL)',
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL)',
    body: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1)',
  },
  {
    name: 'content-metadata',
    description: 'Every Content-* field BODYSTRUCTURE carries: ID, Description (encoded word), MD5, Language list, Location, disposition params',
    tree: multi(
      'multipart/mixed',
      ['From: docs@example.com', 'Subject: metadata', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="meta"; charset=ignored', 'Content-Location: http://example.com/bundle', 'Content-Language: en, fr (French)'],
      'meta',
      [
        leaf(
          'text/html',
          [
            'Content-Type: text/html; charset=UTF-8',
            'Content-ID: <page1@example.com>',
            'Content-Description: =?UTF-8?Q?Page_d=27accueil?=',
            'Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==',
            'Content-Language: fr-CA, en-CA',
            'Content-Location: http://example.com/index.html',
            'Content-Disposition: inline; filename="index.html"; modification-date="Wed, 12 Feb 1997 16:29:51 -0500"',
          ],
          '<p>Bienvenue</p>\n',
        ),
      ],
    ),
    bodystructure: (p) =>
      `(("text" "html" ("charset" "UTF-8") "<page1@example.com>" "=?UTF-8?Q?Page_d=27accueil?=" "7bit" ${sl(p, 1)} "Q2hlY2sgSW50ZWdyaXR5IQ==" ` +
      `("inline" ("filename" "index.html" "modification-date" "Wed, 12 Feb 1997 16:29:51 -0500")) ("fr-CA" "en-CA") "http://example.com/index.html")` +
      ` "mixed" ("boundary" "meta" "charset" "ignored") NIL ("en" "fr") "http://example.com/bundle")`,
    // Checked against Dovecot 2.3.19.
    body: () => '(("text" "html" ("charset" "UTF-8") "<page1@example.com>" "=?UTF-8?Q?Page_d=27accueil?=" "7bit" 18 1) "mixed")',
    envelope: '(NIL "metadata" ((NIL NIL "docs" "example.com")) ((NIL NIL "docs" "example.com")) ((NIL NIL "docs" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'rfc2231-continuations',
    description: 'RFC 2231 §3-§4 examples: continuations mixing encoded and plain pieces, language tags, plain fallback next to name*',
    tree: multi(
      'multipart/mixed',
      ['From: a@example.com', 'Subject: 2231', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="r"'],
      'r',
      [
        leaf(
          'application/x-stuff',
          ["Content-Type: application/x-stuff;\n title*0*=us-ascii'en'This%20is%20even%20more%20;\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\n title*2=\"isn't it!\""],
          'x\n',
        ),
        leaf(
          'application/pdf',
          ['Content-Type: application/pdf; name="Rapport.pdf"', "Content-Disposition: attachment; filename=\"Rapport.pdf\"; filename*=iso-8859-1'fr'R%E9sum%E9.pdf"],
          'y\n',
        ),
        leaf('text/plain', ["Content-Type: text/plain; charset*=us-ascii''utf-8; name*0=\"long\"; name*1=\"-name\"; name*2=.txt"], 'z\n'),
      ],
    ),
    // title: joined, ASCII but carries a language, so it keeps the RFC 2231 form (utf-8'en').
    // filename*: wins over the plain fallback; non-ASCII, re-encoded from Latin-1 to UTF-8.
    // Differs from Dovecot 2.3.19's answer by [2231] (see the top of FIXTURES).
    bodystructure: (p) =>
      `(("application" "x-stuff" ("title*" "utf-8'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!") NIL NIL "7bit" ${sz(p, 1)} NIL NIL NIL NIL)` +
      `("application" "pdf" ("name" "Rapport.pdf") NIL NIL "7bit" ${sz(p, 2)} NIL ("attachment" ("filename*" "utf-8'fr'R%C3%A9sum%C3%A9.pdf")) NIL NIL)` +
      `("text" "plain" ("charset" "utf-8" "name" "long-name.txt") NIL NIL "7bit" ${sl(p, 3)} NIL NIL NIL NIL) "mixed" ("boundary" "r") NIL NIL NIL)`,
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [2231] (see the top of FIXTURES).
    body: () =>
      '(("application" "x-stuff" ("title*" "utf-8\'en\'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!") NIL NIL "7bit" 3)' +
      '("application" "pdf" ("name" "Rapport.pdf") NIL NIL "7bit" 3)("text" "plain" ("charset" "utf-8" "name" "long-name.txt") NIL NIL "7bit" 3 1) "mixed")',
    envelope: '(NIL "2231" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'empty-parts',
    description: 'A part with no header at all (default text/plain) and a part with a header but an empty body',
    raw: 'From: a@example.com\nSubject: empty parts\nContent-Type: multipart/mixed; boundary=e\n\n--e\n\nno header here\n--e\nContent-Type: text/plain; charset=utf-8\n\n\n--e--\n',
    parts: [
      { type: 'multipart/mixed', body: '--e\n\nno header here\n--e\nContent-Type: text/plain; charset=utf-8\n\n\n--e--\n' },
      { type: 'text/plain', body: 'no header here' },
      { type: 'text/plain', body: '' },
    ],
    bodystructure: () =>
      '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 0 NIL NIL NIL NIL)("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "e") NIL NIL NIL)',
    // Checked against Dovecot 2.3.19.
    body: () => '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 0)("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 0 0) "mixed")',
    envelope: '(NIL "empty parts" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'invalid-content-type',
    description: 'Unparseable Content-Type ("text" without subtype): text/plain; charset=us-ascii (RFC 2045 §5.2)',
    raw: 'From: a@example.com\nSubject: bad type\nContent-Type: text; charset=utf-8\n\nbody\n',
    parts: [{ type: 'text/plain', body: 'body\n' }],
    // Differs from Dovecot 2.3.19's answer by [invalid] (see the top of FIXTURES).
    bodystructure: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL)',
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [invalid] (see the top of FIXTURES).
    body: () => '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1)',
    envelope: '(NIL "bad type" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'html-only',
    description: 'Single text/html part with script, style, comments and entities',
    tree: leaf(
      'text/html',
      ['From: Shop <noreply@shop.example>', 'To: buyer@example.com', 'Subject: Your order has shipped', 'Date: Fri, 13 Oct 2023 06:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/html; charset=UTF-8', 'Content-Transfer-Encoding: 8bit'],
      '<!DOCTYPE html>\n<html><head><title>Shipped</title><style>p{color:red}</style><script>var a = "<p>not text</p>";</script></head>\n<body><!-- tracking --><p>Your order&nbsp;#1234 has shipped &mdash; ETA Monday.</p><p>Fish &amp; Chips &lt;3 &#8364;5 &#x263A;</p></body></html>\n',
    ),
    // Checked against Dovecot 2.3.19.
    bodystructure: () => '("text" "html" ("charset" "UTF-8") NIL NIL "8bit" 276 3 NIL NIL NIL NIL)',
    body: () => '("text" "html" ("charset" "UTF-8") NIL NIL "8bit" 276 3)',
    envelope:
      '("Fri, 13 Oct 2023 06:00:00 +0000" "Your order has shipped" (("Shop" NIL "noreply" "shop.example")) (("Shop" NIL "noreply" "shop.example"))' +
      ' (("Shop" NIL "noreply" "shop.example")) ((NIL NIL "buyer" "example.com")) NIL NIL NIL NIL)',
  },
  {
    name: 'deep-nesting',
    description: 'Six levels: mixed > rfc822 > alternative > related > rfc822 > mixed > plain',
    tree: multi(
      'multipart/mixed',
      ['From: a@example.com', 'Subject: deep', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=L0'],
      'L0',
      [
        message(
          'message/rfc822',
          ['Content-Type: message/rfc822'],
          multi('multipart/alternative', ['Subject: level 1', 'Content-Type: multipart/alternative; boundary=L1'], 'L1', [
            leaf('text/plain', [], 'level 1 text\n'),
            multi('multipart/related', ['Content-Type: multipart/related; boundary=L2'], 'L2', [
              message(
                'message/rfc822',
                ['Content-Type: message/rfc822'],
                multi('multipart/mixed', ['Subject: level 3', 'Content-Type: multipart/mixed; boundary=L3'], 'L3', [leaf('text/plain', [], 'deepest\n')]),
              ),
            ]),
          ]),
        ),
      ],
    ),
    // Checked against Dovecot 2.3.19.
    bodystructure: () =>
      '(("message" "rfc822" NIL NIL NIL "7bit" 297 (NIL "level 1" NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 1 NIL NIL NIL NIL)' +
      '(("message" "rfc822" NIL NIL NIL "7bit" 91 (NIL "level 3" NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 1 NIL NIL NIL NIL) "mixed" ("boundary" "L3") NIL NIL NIL) 8 NIL NIL NIL NIL) "related" ("boundary" "L2") NIL NIL NIL) "alternative" ("boundary" "L1") NIL NIL NIL) 25 NIL NIL NIL NIL) "mixed" ("boundary" "L0") NIL NIL NIL)',
    body: () =>
      '(("message" "rfc822" NIL NIL NIL "7bit" 297 (NIL "level 1" NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 1)' +
      '(("message" "rfc822" NIL NIL NIL "7bit" 91 (NIL "level 3" NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 1) "mixed") 8) "related") "alternative") 25) "mixed")',
    envelope: '(NIL "deep" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'folded-params-comments',
    description: 'Content-Type folded over lines with comments, upper-case names and unquoted values with odd spacing',
    raw: 'From: a@example.com\nSubject: comments\nMIME-Version: 1.0 (produced by MetaSend Vx.x)\nCONTENT-TYPE: Multipart/Mixed (comment) ;\n\tBOUNDARY = "fold (not a comment)" ;\n\tReport-Type=x\n\n--fold (not a comment)\ncontent-type: TEXT/Plain; CHARSET=US-ASCII (Plain text)\ncontent-transfer-encoding: 7BIT (nothing to decode)\n\nok\n--fold (not a comment)--\n',
    parts: [
      { type: 'multipart/mixed', body: '--fold (not a comment)\ncontent-type: TEXT/Plain; CHARSET=US-ASCII (Plain text)\ncontent-transfer-encoding: 7BIT (nothing to decode)\n\nok\n--fold (not a comment)--\n' },
      { type: 'text/plain', body: 'ok' },
    ],
    // Differs from Dovecot 2.3.19's answer by [case] (see the top of FIXTURES).
    bodystructure: () => '(("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 2 0 NIL NIL NIL NIL) "mixed" ("boundary" "fold (not a comment)" "report-type" "x") NIL NIL NIL)',
    // Checked against Dovecot 2.3.19; BODY differs from its answer by [case] (see the top of FIXTURES).
    body: () => '(("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 2 0) "mixed")',
    envelope: '(NIL "comments" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'duplicate-boundaries',
    description: 'Nested multipart reusing the outer boundary (broken generator): the innermost open multipart takes it',
    raw: 'From: a@example.com\nSubject: same boundary\nContent-Type: multipart/mixed; boundary=same\n\n--same\nContent-Type: multipart/alternative; boundary=same\n\n--same\nContent-Type: text/plain\n\ninner one\n--same--\n--same\nContent-Type: text/plain\n\nafter\n--same--\n',
    parts: [
      { type: 'multipart/mixed', body: '--same\nContent-Type: multipart/alternative; boundary=same\n\n--same\nContent-Type: text/plain\n\ninner one\n--same--\n--same\nContent-Type: text/plain\n\nafter\n--same--\n' },
      { type: 'multipart/alternative', body: '--same\nContent-Type: text/plain\n\ninner one\n--same--' },
      { type: 'text/plain', body: 'inner one' },
      { type: 'text/plain', body: 'after' },
    ],
    // Checked against Dovecot 2.3.19; BODYSTRUCTURE and BODY differ from its answer by [charset] (see the top of FIXTURES).
    bodystructure: () =>
      '((("text" "plain" NIL NIL NIL "7bit" 9 0 NIL NIL NIL NIL) "alternative" ("boundary" "same") NIL NIL NIL)("text" "plain" NIL NIL NIL "7bit" 5 0 NIL NIL NIL NIL) "mixed" ("boundary" "same") NIL NIL NIL)',
    body: () => '((("text" "plain" NIL NIL NIL "7bit" 9 0) "alternative")("text" "plain" NIL NIL NIL "7bit" 5 0) "mixed")',
    envelope: '(NIL "same boundary" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  },
  {
    name: 'message-root',
    description: 'A message whose own body is message/rfc822 (a bounce wrapper): part 1 is the whole inner message',
    tree: message(
      'message/rfc822',
      ['From: wrapper@example.com', 'To: user@example.com', 'Subject: wrapped', 'MIME-Version: 1.0', 'Content-Type: message/rfc822'],
      multi('multipart/alternative', ['From: inner@example.com', 'Subject: inner', 'Content-Type: multipart/alternative; boundary=in'], 'in', [leaf('text/plain', [], 'a\n'), leaf('text/html', ['Content-Type: text/html'], '<p>a</p>\n')]),
    ),
    // Checked against Dovecot 2.3.19; BODYSTRUCTURE and BODY differ from its answer by [charset] (see the top of FIXTURES).
    bodystructure: () =>
      '("message" "rfc822" NIL NIL NIL "7bit" 159 (NIL "inner" ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com"))' +
      ' ((NIL NIL "inner" "example.com")) NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL)' +
      '("text" "html" NIL NIL NIL "7bit" 10 1 NIL NIL NIL NIL) "alternative" ("boundary" "in") NIL NIL NIL) 14 NIL NIL NIL NIL)',
    body: () =>
      '("message" "rfc822" NIL NIL NIL "7bit" 159 (NIL "inner" ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com"))' +
      ' ((NIL NIL "inner" "example.com")) NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)' +
      '("text" "html" NIL NIL NIL "7bit" 10 1) "alternative") 14)',
    envelope:
      '(NIL "wrapped" ((NIL NIL "wrapper" "example.com")) ((NIL NIL "wrapper" "example.com")) ((NIL NIL "wrapper" "example.com"))' +
      ' ((NIL NIL "user" "example.com")) NIL NIL NIL NIL)',
  },
];
