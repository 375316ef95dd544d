// DKIM signing keys per accepted domain: New-DkimSigningKey makes one and prints the TXT record
// to publish; outbound mail from the domain is signed with it from then on.
import { dkimKeys, dkimTxtRecord, newDkimKey, removeDkimKey, setDkimKeyEnabled, type DkimKey } from '../../smtp/dkim/dkim-keys.ts';
import type { Cmdlet, OutputObject } from '../cmdlet.ts';

function show(key: DkimKey): OutputObject {
  const record = dkimTxtRecord(key);
  return {
    Domain: key.domain,
    Selector: key.selector,
    Enabled: key.enabled,
    KeySize: key.keySize,
    CreatedAt: key.createdAt,
    DnsRecordName: record.name,
    DnsRecordType: 'TXT',
    DnsRecordValue: record.value,
  };
}

/** A zone-file line; long values are split into 255-octet strings (RFC 1035 §3.3.14). */
function zoneLine(key: DkimKey): string {
  const record = dkimTxtRecord(key);
  return `${record.name}. 3600 IN TXT ${record.strings.map((s) => `"${s}"`).join(' ')}`;
}

export const dkimCmdlets: Cmdlet[] = [
  {
    name: 'New-DkimSigningKey',
    synopsis: 'Creates a DKIM key for an accepted domain, signs its outbound mail with it, and prints the DNS TXT record to publish.',
    parameters: [
      { name: 'Domain', kind: 'string', positional: 0, required: true, help: 'Accepted domain whose mail is signed.' },
      { name: 'Selector', kind: 'string', help: 'DNS label of the key; mrYYYYMM when omitted.' },
      { name: 'KeySize', kind: 'int', help: 'RSA key size: 1024, 2048 (default), 3072 or 4096.' },
    ],
    examples: ['New-DkimSigningKey contoso.com', 'New-DkimSigningKey -Domain contoso.com -Selector mr2026b -KeySize 2048'],
    async run(args, ctx) {
      const key = await newDkimKey(ctx.directory, {
        domain: String(args.Domain),
        ...(args.Selector ? { selector: String(args.Selector) } : {}),
        ...(args.KeySize !== undefined ? { keySize: Number(args.KeySize) } : {}),
      });
      return [
        `Outbound mail from ${key.domain} is signed with selector ${key.selector} from now on. Publish this record (receivers fail the signature until it is in DNS):`,
        '',
        zoneLine(key),
      ].join('\n');
    },
  },
  {
    name: 'Get-DkimSigningKey',
    synopsis: 'Shows the DKIM keys and the DNS record each needs.',
    parameters: [{ name: 'Domain', kind: 'string', positional: 0, help: 'Only this domain\'s keys.' }],
    async run(args, ctx) {
      return (await dkimKeys(ctx.directory, args.Domain ? String(args.Domain) : undefined)).map(show);
    },
  },
  {
    name: 'Set-DkimSigningKey',
    synopsis: 'Switches signing with a key on (and the domain\'s other keys off) or off.',
    parameters: [
      { name: 'Domain', kind: 'string', positional: 0, required: true, help: 'Accepted domain.' },
      { name: 'Selector', kind: 'string', required: true, help: 'Selector of the key.' },
      { name: 'Enabled', kind: 'bool', required: true, help: '$true signs with this key; $false stops signing with it.' },
    ],
    async run(args, ctx) {
      await setDkimKeyEnabled(ctx.directory, String(args.Domain), String(args.Selector), args.Enabled === true);
    },
  },
  {
    name: 'Remove-DkimSigningKey',
    synopsis: 'Deletes a DKIM key. Keep its DNS record a few days longer, for mail already on its way.',
    parameters: [
      { name: 'Domain', kind: 'string', positional: 0, required: true, help: 'Accepted domain.' },
      { name: 'Selector', kind: 'string', required: true, help: 'Selector of the key.' },
    ],
    async run(args, ctx) {
      await removeDkimKey(ctx.directory, String(args.Domain), String(args.Selector));
    },
  },
];
