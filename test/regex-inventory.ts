// Every regular expression in src/, by file, and where the text it reads comes from. The test
// in client-input-cpu.test.ts fails when src/ has one that is not listed here (or this lists one
// that is gone), and runs every one that reads outside text on inputs built to make
// backtracking explode. A new expression is added here with its origin:
//   client    bytes from a client, another mail server, DNS, or a stored message;
//   admin     cmdlet parameters (shell and admin center), settings, files an admin names;
//   internal  text the server made itself: numbers it formats, names it chose, socket addresses.
// Both client and admin expressions must stay linear; internal ones are exempt, so say why an
// expression is internal when it is not obvious. Keys are the expression as written in the
// source (white space collapsed), so an edited expression must be classified again.

export type RegexOrigin = 'client' | 'admin' | 'internal';

export const REGEX_INVENTORY: Record<string, Record<string, RegexOrigin>> = {
  'auth/credentials.ts': {
    '/[a-z]/': 'client',
    '/[A-Z]/': 'client',
    '/[0-9]/': 'client',
    '/[^A-Za-z0-9]/': 'client',
    '/[^\\x00-\\x7f]/': 'client',
  },
  // The hand-off line a front end sends a back end: another server's bytes, carrying what the
  // client chose (logon name, IMAP tag, pipelined bytes).
  'auth/handoff.ts': {
    '/^[0-9A-F]{16}$/': 'client',
    '/^[A-Za-z0-9._-]{1,128}$/': 'client',
    '/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/': 'client',
    '/^[\\x21\\x23\\x24\\x26\\x27\\x2c-\\x5b\\x5d-\\x7a\\x7c-\\x7e]{1,1024}$/': 'client',
    '/^(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)$/': 'client',
    '/^[0-9A-Fa-f:.]{2,45}$/': 'client',
    '/[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]/': 'client',
    '/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/': 'client',
    '/::/g': 'client',
    '/^MAILROOM-HANDOFF\\/(\\d{1,6}) (.*)$/s': 'client',
    '/^START (TLS|PLAIN)(?: ([A-Za-z0-9+/=]+))?$/': 'client',
    '/[^\\x20-\\x7e]/g': 'client',
  },
  'auth/login-name.ts': {
    '/[\\p{Cc}\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufeff]/u': 'client',
    '/\\s/u': 'client',
    '/[\\s@\\\\/:*?"<>|]/u': 'client',
  },
  'auth/passwords.ts': {
    '/[\\u00ad\\u034f\\u1806\\u180b-\\u180d\\u200b-\\u200d\\u2060\\ufe00-\\ufe0f\\ufeff]/g': 'client',
    '/^[A-Za-z0-9+/]+$/': 'client',
    '/=+$/': 'internal', // base64 the server encoded
    '/^ln=([1-9]\\d?),r=([1-9]\\d?),p=([1-9]\\d?)$/': 'internal', // stored hash parameters
    '/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/': 'client',
    '/^([1-9]\\d{0,7}):([^$:]+)\\$([^$:]+):([^$:]+)$/': 'client',
  },
  'auth/sasl/login.ts': {
    '/[\\u0000-\\u001f\\u007f-\\u009f]/': 'client',
  },
  'auth/sasl/scram-sha-256.ts': {
    '/^[\\x21-\\x2b\\x2d-\\x7e]+$/': 'client',
    '/^[A-Za-z]=[^,\\0]+$/': 'client',
    '/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/': 'client',
    '/=/g': 'client',
    '/,/g': 'client',
  },
  'auth/session-logon.ts': {
    '/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/': 'client',
    '/[@\\\\]/': 'client',
  },
  'auth/throttle.ts': {
    '/%.*$/': 'internal', // socket addresses
    '/^::ffff:(\\d{1,3}(?:\\.\\d{1,3}){3})$/i': 'internal',
  },
  'backend/delivery-router.ts': {
    '/^\\d{3}[ -][45]\\.2\\.2\\b/': 'client',
  },
  'backend/lmtp-delivery-listener.ts': {
    '/^[245]\\.\\d{1,3}\\.\\d{1,3} /': 'client',
    '/^\\S+\\s+<?([^<>\\s]+)>?\\s*$/': 'client',
  },
  'backend/lmtp-wire.ts': {
    '/\\r\\n/g': 'client',
    '/^[A-Za-z0-9+/]*={0,2}$/': 'client',
    '/^Return-Path:\\s*<([^<>\\r\\n]*)>\\r\\n/i': 'client',
    '/^\\d+$/': 'client',
    '/\\b([A-Z]+)=(\\S+)/gi': 'client',
    '/\\bUID=(\\d+)/': 'client',
  },
  'cli/bind.ts': {
    '/^[-\\u2013\\u2014\\u2015]([A-Za-z_][A-Za-z0-9_]*)(?::([\\s\\S]*))?$/': 'admin',
    '/^.\\.?\\d/': 'admin',
    '/^\\$null$/i': 'admin',
    '/[:=]/': 'admin',
    '/^.[A-Za-z_]\\w*=/': 'admin',
    '/^@(add|remove)=/i': 'admin',
  },
  'cli/cmdlets/certificates.ts': {
    '/(?:^|,)\\s*cn=([^,]+)/i': 'admin',
    '/[\\s:]/g': 'admin',
  },
  'cli/cmdlets/mailbox.ts': {
    '/^smtp:/i': 'admin',
  },
  'cli/cmdlets/organization.ts': {
    '/^(?=.{1,253}$)([\\p{L}\\p{N}]([\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?)(\\.[\\p{L}\\p{N}]([\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?)+$/u': 'admin',
  },
  'cli/help.ts': {
    '/\\|/g': 'internal',
  },
  'cli/registry.ts': {
    '/^[A-Za-z]+-[A-Za-z0-9]+$/': 'admin',
  },
  'cli/run.ts': {
    '/^Get-/i': 'internal',
  },
  'cli/syntax.ts': {
    '/^\\{([0-9a-fA-F]{1,6})\\}/': 'admin',
    '/[\\p{L}\\p{N}]/u': 'admin',
    '/\\s/': 'admin',
    '/^[A-Za-z0-9_.:@/\\\\+=-]+$/': 'admin',
    "/['\\u2018\\u2019\\u201A\\u201B]/g": 'admin',
  },
  'cli/values.ts': {
    '/[\\u0000-\\u001f\\u007f]/g': 'admin',
    '/^unlimited$/i': 'admin',
    '/^[+-]?\\d+$/': 'admin',
    '/^([+-]?)(\\d+(?:\\.\\d*)?|\\.\\d+)\\s*(b|kb|mb|gb|tb)?$/i': 'admin',
    '/^\\s*(\\d{1,3}(?:,\\d{3})+|\\d+)\\s*bytes\\s*$/i': 'admin',
    '/\\B(?=(\\d{3})+(?!\\d))/g': 'internal', // a byte count the server formats (at most 16 digits)
    '/0+$/': 'internal', // three digits the server formats
    '/^(\\d{1,2}):(\\d{1,2})(?::(\\d{1,2}))?$/': 'admin',
    '/^(\\d+)\\.(\\d{1,2}):(\\d{1,2}):(\\d{1,2})$/': 'admin',
  },
  'config/endpoints.ts': {
    '/^\\[([0-9A-Fa-f:.]+)\\]:(\\d{1,5})$/': 'admin',
    '/^([0-9.]+):(\\d{1,5})$/': 'admin',
    '/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/': 'admin',
    '/^([^:\\s]+):(\\d{1,5})(?::(SSL|TLS)?)?$/i': 'admin',
  },
  'config/mailbox.ts': {
    '/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/i': 'admin',
  },
  'config/pop-imap.ts': {
    '/[\\r\\n]/': 'admin',
    '/^https?:\\/\\/[^\\s]+$/i': 'admin',
  },
  'directory/directory.ts': {
    '/[\\\\/:*?"<>|]/': 'admin', // New-MailboxDatabase -Name
    '/[\\s\\\\/:*?"<>|,.]/': 'admin', // New-AdSite -Name
    '/^postgres(ql)?:\\/\\//': 'admin',
    '/[^A-Za-z0-9._-]+/g': 'admin',
    "/^[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]+(\\.[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]+)*$/": 'admin',
    '/[\\s<>()\\[\\]\\\\,;:"]/': 'admin',
    '/^[^\\s@]+\\.[^\\s@.]+$|^[^\\s@.]+$/': 'admin',
  },
  'directory/server-trust.ts': {
    '/:/g': 'internal', // a certificate fingerprint Node formats
    '/:(\\d{1,5})(?:[ ,]|$)/': 'internal', // a server's own heartbeat
  },
  'frontend/protocol-frontend.ts': {
    '/^::ffff:/': 'internal',
  },
  'host/backup.ts': {
    '/^[0-9a-f]{64}$/': 'admin', // a backup's manifest, a file the admin names
    '/[:.]/g': 'internal', // a timestamp the server formats
  },
  'host/install-service.ts': {
    '/^ExecStart=\\/usr\\/bin\\/node /m': 'internal', // the unit shipped in packaging/
    '/^User=mailroom$/m': 'internal',
    '/^Group=mailroom$/m': 'internal',
    '/^Environment=MAILROOM_DATA=\\/var\\/lib\\/mailroom$/m': 'internal',
    '/^StateDirectory=mailroom$/m': 'internal',
    '/^[a-z_][a-z0-9_-]{0,31}$/': 'admin',
    '/\\s/': 'admin',
  },
  'host/quickstart.ts': {
    '/\\s/': 'internal',
  },
  'host/setup.ts': {
    '/^[A-Za-z0-9][A-Za-z0-9-]{0,14}$/': 'admin', // setup --server
    '/^[0-9.]+$/': 'admin', // setup --fqdn
    '/[^A-Za-z0-9-]/g': 'internal',
    '/[\\s@]/': 'admin',
  },
  'imap/commands/list.ts': {
    '/^inbox(?=$|\\/)/i': 'client',
  },
  'imap/commands/mailboxes.ts': {
    '/\\/$/': 'client',
  },
  'imap/frontend-session.ts': {
    '/^[\\x21\\x23\\x24\\x26\\x27\\x2c-\\x5b\\x5d-\\x7a\\x7c-\\x7e]+$/': 'client',
    '/\\{(\\d{1,10})(\\+?)\\}$/': 'client',
  },
  'imap/protocol/date-time.ts': {
    '/^(\\d{1,2})-([A-Za-z]{3})-(\\d{4})$/': 'client',
    '/^"?( ?\\d{1,2})-([A-Za-z]{3})-(\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) ([+-])(\\d{2})(\\d{2})"?$/': 'client',
  },
  'imap/protocol/parser/fetch.ts': {
    '/^[0-9]+$/': 'client',
    '/^[\\x21-\\x39\\x3b-\\x7e]+$/': 'client',
  },
  'imap/protocol/parser/mailbox.ts': {
    '/^[A-Z0-9-]+$/': 'client',
  },
  'imap/protocol/parser/message.ts': {
    '/^([+-]?)FLAGS(\\.SILENT)?$/': 'client',
  },
  'imap/protocol/parser/reader.ts': {
    '/^\\\\?[^\\x00-\\x20\\x7f-\\uffff(){%*"\\\\\\]]+$/': 'client',
    '/^0+(?=\\d)/': 'client',
  },
  'imap/protocol/parser/search.ts': {
    '/^[\\x21-\\x39\\x3b-\\x7e]+$/': 'client',
  },
  'imap/protocol/parser/session.ts': {
    '/^[A-Z0-9_-]{1,20}$/': 'client',
    '/^[\\x21\\x23\\x24\\x26\\x27\\x2c-\\x5b\\x5d-\\x7a\\x7c-\\x7e]+ ID /i': 'client',
    '/^(?:[A-Za-z0-9+/]*={0,2})$/': 'client',
  },
  'imap/protocol/parser.ts': {
    '/^[\\x21\\x23\\x24\\x26\\x27\\x2c-\\x5b\\x5d-\\x7a\\x7c-\\x7e]+$/': 'client',
    '/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/': 'client',
  },
  'imap/protocol/sequence-set.ts': {
    '/^(\\*|[1-9][0-9]{0,9})(?::(\\*|[1-9][0-9]{0,9}))?$/': 'client',
  },
  'imap/protocol/tokenizer.ts': {
    '/^[0-9]+$/': 'client',
    '/^[0-9*$:,]+$/': 'client',
  },
  'imap/protocol/utf7.ts': {
    '/[\\u0000-\\u001f\\u007f]/': 'client',
  },
  'imap/protocol/writer.ts': {
    '/^[^\\x00-\\x20\\x7f-\\uffff(){%*"\\\\\\]]+$/': 'client',
    '/[\\r\\n\\0]/': 'client',
    '/[\\\\"]/g': 'client',
    '/\\0/g': 'client',
  },
  'imap/session/session.ts': {
    '/^\\S+\\s+(?:UID\\s+)?\\S+\\s*/i': 'client',
    '/^\\S+\\s+APPEND\\s/i': 'client',
  },
  'lib/certificates.ts': {
    '/.{1,64}/g': 'internal',
    '/^[89a-f]/': 'internal',
    '/^[\\d.]+$|:/': 'admin',
    '/^(DNS|IP Address):/': 'admin',
    '/CN=([^\\n,]+)/': 'admin',
    '/:/g': 'internal',
    '/<S>(.*)$/i': 'admin',
    '/CN=([^,]+)/i': 'admin',
  },
  'lib/csv.ts': {
    '/[\\r\\n]+|[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]/g': 'client',
  },
  'lib/log-format.ts': {
    '/[\\s"=\\\\\\p{Cc}]/u': 'client', // logged values can carry a client's bytes
    '/\\p{Cc}/gu': 'client',
  },
  'lib/private-files.ts': {
    "/'/g": 'admin', // the data folder's path, quoted for the chmod it suggests
  },
  'lib/protocol-log.ts': {
    'new RegExp(`^${prefix}(\\\\d{10})-(\\\\d+)\\\\.LOG$`)': 'internal',
    '/^::ffff:/': 'internal',
  },
  'lib/secrets.ts': {
    '/^[0-9a-fA-F]{64}$/': 'admin', // MAILROOM_SECRETS_KEY or secrets.key
    '/^[A-Za-z0-9+/]{43}=?$/': 'admin',
  },
  'main.ts': {
    '/^postgres(ql)?:\\/\\//': 'admin', // setup --directory / --join
    '/^mailroom\\s+/': 'admin',
  },
  'migration/formats/mbox.ts': {
    '/[\\s,]+/': 'client', // X-Keywords of a message in an imported mbox file
    '/\\s+/': 'client', // X-IMAPbase/X-IMAP values
  },
  'mime/base-subject.ts': {
    '/[\\t\\r\\n ]+/g': 'client',
  },
  'mime/bodystructure.ts': {
    '/^[A-Za-z0-9!#$&+\\-.^_`|~]$/': 'client',
    '/[^\\x20-\\x7e\\t]/': 'client',
  },
  'mime/charset.ts': {
    '/^(?:iso-?2022-?jp(?:-\\d)?|csiso2022jp)$/': 'client',
    '/^(?:iso-?2022-|csiso2022|utf-?7|unicode-1-1-utf-7|hz)/': 'client',
    "/^[\"']|[\"']$/g": 'client',
    '/^win-?125\\d$/': 'client',
  },
  'mime/date.ts': {
    '/[\\s,]+/': 'client',
  },
  'mime/envelope.ts': {
    '/[^\\x00-\\x7f]/': 'client',
  },
  'mime/headers.ts': {
    '/[\\x00-\\x20\\x7f]/': 'client',
    '/\\r?\\n(?=[ \\t])/g': 'client',
    '/\\([^()]*\\)/g': 'client',
    '/^(.*?)(?:\\*(\\d+))?(\\*)?$/': 'client',
    '/%([0-9a-fA-F]{2})/g': 'client',
    "/^([^']*)'([^']*)'(.*)$/s": 'client',
    '/[ \\t\\r\\n"]/g': 'client',
    '/\\\\(.)/g': 'client',
  },
  'mime/imap-format.ts': {
    '/\\0/g': 'client',
    '/[\\\\"]/g': 'client',
  },
  'mime/scan.ts': {
    "/^[!#$%&'*+\\-.^_`{|}~0-9A-Za-z\\x80-\\xff]+$/": 'client',
  },
  'mime/sections.ts': {
    '/^\\s*\\((.*)\\)\\s*$/s': 'client',
    '/[\\x00-\\x20\\x7f():]/': 'client',
    '/^(\\d+)(\\.|$)/': 'client',
    '/^HEADER\\.FIELDS(\\.NOT)?(?=[\\s(])(.*)$/is': 'client',
  },
  'mime/sort-keys.ts': {
    '/<[^<>\\s]+>/g': 'client',
  },
  'mime/text.ts': {
    '/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});?/g': 'client',
    '/^<\\/?([a-zA-Z][a-zA-Z0-9:-]*)/': 'client',
    '/^<[!?/]/': 'client',
    '/[ \\t\\r\\f\\v\\u00a0]+/g': 'client',
    '/ ?\\n[\\n ]*/g': 'client',
    '/[\\u0130\\u212a]/': 'client',
  },
  'pop3/protocol.ts': {
    '/^[0-9]+$/': 'client',
    '/^0+(?=.)/': 'client',
    '/^[\\x21-\\x7e]{1,8}$/': 'client',
    '/[ \\t]+/': 'client',
  },
  'smtp/calendar.ts': {
    '/\\/owa$/i': 'client',
    '/\\r?\\n[ \\t]/g': 'client',
    '/\\r?\\n/': 'client',
    '/^([A-Za-z-]+)(?:;[^:]*)?:(.*)$/': 'client',
    '/\\\\n/gi': 'client',
    '/\\\\([,;\\\\])/g': 'client',
    '/^mailto:/i': 'client',
    '/text\\/calendar/i': 'client',
    '/^content-(type|transfer-encoding)$/i': 'client',
  },
  'smtp/chunking.ts': {
    '/^BDAT +(\\d{1,15})( +LAST)? *$/i': 'client',
  },
  'smtp/connection-hooks.ts': {
    '/^\\S+ ?/': 'internal', // the server's own replies
    '/^\\S+ /': 'internal',
  },
  'smtp/dkim/dkim-keys.ts': {
    '/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/': 'admin',
  },
  'smtp/dns.ts': {
    '/\\.$/': 'client',
  },
  'smtp/inbound-auth.ts': {
    '/^\\s*([^\\s;]+)/': 'client',
  },
  'smtp/listeners.ts': {
    '/^::ffff:/i': 'internal',
  },
  'smtp/message-checks.ts': {
    '/\\r?\\n(?=[ \\t])/g': 'client',
  },
  'smtp/message-intake.ts': {
    '/^<[^<>\\s]{1,250}>$/': 'client',
  },
  'smtp/queue/dsn.ts': {
    '/\\b([245])\\.(\\d{1,3})\\.(\\d{1,3})\\b/': 'client',
    '/^([245])\\d\\d\\b/': 'client',
    '/^connection:/': 'internal',
    '/[\\r\\n]+/g': 'client',
  },
  'smtp/queue/remote-delivery.ts': {
    '/^[\\d.]+$|:/': 'client',
    '/STARTTLS/i': 'client',
    '/^DSN\\b/i': 'client',
  },
  'smtp/queue/routing.ts': {
    '/^\\[|\\]$/g': 'client',
    '/\\.$/': 'client',
  },
  'smtp/queue/send-connectors.ts': {
    '/^(\\*|(\\*\\.)?[A-Za-z0-9\\u0080-\\uffff-]+(\\.[A-Za-z0-9\\u0080-\\uffff-]+)*)$/': 'admin',
    '/^smtp:/i': 'admin',
    '/;\\d+$/': 'admin',
    '/^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)$/': 'admin',
  },
  'smtp/receive-log.ts': {
    '/-/g': 'internal',
    'new RegExp(`^RECV${day}-(\\\\d+)\\\\.LOG$`)': 'internal',
    '/^RECV\\d{8}-\\d+\\.LOG$/': 'internal', // names of files in the log's own folder
  },
  'smtp/replies.ts': {
    '/^[245]\\.\\d{1,3}\\.\\d{1,3}(?: |$)/': 'client',
  },
  'smtp/scram-auth.ts': {
    '/\\s+/': 'client',
  },
  'smtp/session-handlers.ts': {
    '/^220[ -]?/': 'admin',
  },
  'smtp/trace-headers.ts': {
    '/[\\x00-\\x1f\\x7f()\\\\]/g': 'client',
    '/-/g': 'internal',
  },
  'store/cjk.ts': {
    '/[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u3005\\u30fc]/u': 'client',
    "new RegExp(CJK.source, 'u')": 'client',
    '/\\s/': 'client',
    '/ {2,}/g': 'client',
  },
  'store/folder-names.ts': {
    '/[\\u0000-\\u001f\\u007f*%]/': 'client',
  },
  'store/header-summary.ts': {
    '/\\r?\\n\\r?\\n/': 'client',
    '/\\r?\\n[ \\t]+/g': 'client',
    "new RegExp(`^${name}:[ \\\\t]*(.*)$`, 'im')": 'client',
  },
  'store/open.ts': {
    '/[^\\p{L}\\p{N} ._-]/gu': 'admin',
  },
  'store/sqlite/engine.ts': {
    '/"/g': 'client',
    '/[\\\\%_]/g': 'client',
    '/^[\\x00-\\x7f]*$/': 'client',
  },
  'web/admin/run-cmdlet.ts': {
    '/^-(\\w+)/': 'internal', // the cmdlets' own error messages
  },
  'web/admin/setting-form.ts': {
    '/\\r?\\n/': 'admin',
    '/\\r\\n/g': 'admin',
  },
  'client-setup/xml.ts': {
    '/[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff]/g': 'admin',
    "/[&<>\"']/g": 'admin',
  },
  'web/html.ts': {
    "/[&<>\"']/g": 'client',
  },
  'web/i18n.ts': {
    '/^zh-(tw|hk|mo|hant)(-|$)/': 'client',
    '/^\\s*q=([0-9.]+)\\s*$/': 'client',
    '/\\{(\\w+)\\}/g': 'internal', // the page templates
  },
  'web/pages/account.ts': {
    '/\\s+/': 'admin',
    '/^[A-Za-z]/': 'admin',
  },
  'web/pages/meeting.ts': {
    '/\\\\n/gi': 'client',
    '/\\\\([,;\\\\])/g': 'client',
    '/^(\\d{4})(\\d{2})(\\d{2})(?:T(\\d{2})(\\d{2})\\d{2}(Z?))?$/': 'client',
    '/\\r?\\n[ \\t]/g': 'client',
    '/\\r?\\n/': 'client',
    '/^([A-Za-z-]+)((?:;[^:]*)?):(.*)$/': 'client',
    '/^"|"$/g': 'client',
    '/^mailto:/i': 'client',
  },
  'web/request.ts': {
    '/^::ffff:/': 'internal',
    '/:\\d+$/': 'client',
    '/^\\/(?![/\\\\])[\\x21-\\x5b\\x5d-\\x7e]*$/': 'client',
  },
  'web/routes/admin/monitoring.ts': {
    '/\\.log$/i': 'internal',
    '/[^\\w.-]/g': 'internal',
  },
  'web/routes/auth.ts': {
    '/^[\\w-]{20,100}$/': 'client',
  },
  'web/routes/options.ts': {
    '/[^\\w.-]/g': 'admin',
  },
  'web/sessions.ts': {
    '/^[\\w-]{43}$/': 'client',
  },
};
