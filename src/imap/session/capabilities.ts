// CAPABILITY after logon: Exchange 2013's set (UIDPLUS MOVE ID CHILDREN IDLE NAMESPACE
// LITERAL+) plus the extensions Mailroom builds. Only what is fully implemented is listed.
import type { SessionContext } from './context.ts';

export function capabilities(session: SessionContext): string[] {
  return [
    'IMAP4rev1',
    'IMAP4rev2',
    'LITERAL+',
    'ENABLE',
    'IDLE',
    'NAMESPACE',
    'UIDPLUS',
    'MOVE',
    'UNSELECT',
    'ID',
    'CHILDREN',
    'SPECIAL-USE',
    'CREATE-SPECIAL-USE',
    'XLIST',
    'LIST-EXTENDED',
    'LIST-STATUS',
    'CONDSTORE',
    'QRESYNC',
    'ESEARCH',
    'SORT',
    'SORT=DISPLAY',
    'ESORT',
    'THREAD=ORDEREDSUBJECT',
    'THREAD=REFERENCES',
    'QUOTA',
    'QUOTA=RES-STORAGE',
    'SEARCHRES',
    'WITHIN',
    'MULTIAPPEND',
    'BINARY',
    'UTF8=ACCEPT',
    `APPENDLIMIT=${session.options.appendLimit()}`,
    'STATUS=SIZE',
    ...(session.compressed ? [] : ['COMPRESS=DEFLATE']),
  ];
}
