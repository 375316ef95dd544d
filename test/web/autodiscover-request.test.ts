// The Autodiscover request reader (a scanner, no XML parser and no backtracking pattern): table
// tests, and a property test against the pattern it replaced, on documents small enough for
// that pattern to finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elementText, parseAutodiscoverRequest } from '../../src/client-setup/autodiscover.ts';
import { pick, prng, randomInt } from '../support/random.ts';

test('the address and the schema of the requests clients send', () => {
  const cases: [string, string | undefined, string | undefined][] = [
    [`<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>alice@contoso.com</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`, 'alice@contoso.com', 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'],
    // Namespace prefixes, any case, attributes, white space around the text, &amp;.
    ['<a:Request><a:emailaddress xml:lang="en">  bob&amp;co@contoso.com \r\n</a:EMAILADDRESS></a:Request>', 'bob&co@contoso.com', undefined],
    ['<EMailAddress/><EMailAddress>x@contoso.com</EMailAddress>', 'x@contoso.com', undefined],
    // A longer name is another element; markup inside the text is not an address.
    ['<EMailAddressX>no@contoso.com</EMailAddressX>', undefined, undefined],
    ['<EMailAddress><b>no</b>@contoso.com</EMailAddress>', undefined, undefined],
    ['<EMailAddress>   </EMailAddress>', undefined, undefined],
    ['<EMailAddress>unclosed@contoso.com', undefined, undefined],
    ['<EMailAddress>a@contoso.com</EMailAddress >', undefined, undefined],
    ['<EMailAddress:x>first@contoso.com</EMailAddress>', 'first@contoso.com', undefined],
    ['', undefined, undefined],
  ];
  for (const [body, address, schema] of cases) {
    assert.deepEqual(parseAutodiscoverRequest(body), { emailAddress: address, acceptableSchema: schema }, body);
  }
});

// The pattern the scanner replaced: the reference for what a request means. Its worst case is
// cubic, so it only ever sees the short documents of the property test.
function byPattern(body: string, name: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${name}\\b[^>]*>\\s*([^<]*?)\\s*</(?:\\w+:)?${name}>`, 'i').exec(body);
  return m?.[1] ? m[1].replace(/&amp;/g, '&') : undefined;
}

test('property: the scanner reads what the pattern read', () => {
  const seed = Date.now() % 1_000_000;
  const random = prng(seed);
  // Whole tags and their near misses, and the characters the grammar turns on.
  const pieces = [
    '<EMailAddress>', '</EMailAddress>', '<a:emailaddress x="1">', '</a:EMAILADDRESS>', '<EMailAddress/>', '<EMailAddressX>',
    '</EMailAddress >', '<EMailAddress:b>', '</b:EMailAddress>', '<', '>', '</', '/', ':', 'a:', 'EMailAddress', ' ', '\t', '\n',
    'x', '@', '&amp;', '_', '=', '"',
  ];
  let found = 0;
  for (let run = 0; run < 20_000; run++) {
    let body = '';
    const n = randomInt(random, 10);
    for (let i = 0; i < n; i++) body += pick(random, pieces);
    const expected = byPattern(body, 'EMailAddress');
    assert.equal(elementText(body, 'EMailAddress'), expected, `seed ${seed}: ${JSON.stringify(body)}`);
    if (expected !== undefined) found++;
  }
  // The generator must reach the interesting cases, not only documents without an address.
  assert.ok(found > 200, `only ${found} documents held an address`);
});
