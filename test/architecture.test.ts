// The shape of src/ (DESIGN.md §4, docs/architecture.md "Layers and areas"): every import
// points down a layer or stays inside its own area, apart from the few sideways imports listed
// below with their reasons, and no module imports itself back through others. Type-only imports
// count: they cost nothing at run time, but a type-only cycle still ties the modules together
// (neither can be changed, moved or tested without the other), so the rules see what tsc sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { SRC, cycles, importEdges, loopIn, sourceFiles, type ImportEdge } from './support/import-graph.ts';

/**
 * A top-level folder of src/, except that a protocol's pure parser folder (`imap/protocol`) and
 * the migration file formats are areas of their own, a layer below the code around them;
 * main.ts is `main`.
 */
function areaOf(path: string): string {
  const parts = path.split('/');
  if (parts.length === 1) return 'main';
  if (parts[1] === 'protocol' || (parts[0] === 'migration' && parts[1] === 'formats')) return `${parts[0]}/${parts[1]}`;
  return parts[0]!;
}

const LAYERS: Record<string, number> = {
  lib: 0, mime: 0, 'imap/protocol': 0, 'migration/formats': 0,
  store: 1, directory: 1, config: 1, auth: 1,
  imap: 2, pop3: 2, smtp: 2, migration: 2, 'client-setup': 2, certificates: 2, service: 2,
  frontend: 3, backend: 3, web: 3, cli: 3, host: 3,
  main: 4,
};

function layerOf(area: string): number {
  const layer = LAYERS[area];
  if (layer === undefined) throw new Error(`src/${area}/ has no layer: add it to LAYERS in test/architecture.test.ts and to docs/architecture.md`);
  return layer;
}

/**
 * The only imports allowed between two areas of the same layer. Everything else in a layer is
 * independent: frontend, backend, web and cli never import each other or host (they get what
 * the host composes through contracts a layer down), and host imports them because it is the
 * process that starts them. The list has no cycle (checked below).
 */
const SIDEWAYS: Record<string, string> = {
  'migration/formats → imap/protocol': 'maildir folder names are modified UTF-7, as on the IMAP wire',
  'directory → config': 'the directory stores the settings whose schemas and defaults config defines',
  'auth → config': 'logon policy reads the settings and throttling policy schemas',
  'auth → directory': 'logons look up mailboxes and their credentials in the directory',
  'host → frontend': 'the host process starts the front-end services',
  'host → backend': 'the host process starts the back-end services and opens the mailbox databases',
  'host → web': 'the host process starts the web service',
  'host → cli': 'quickstart and the operations commands run cmdlets',
  'web → cli': 'the admin center runs cmdlets through the cmdlet binder and registry',
  'web → backend': 'usage figures come from the back end that holds the mailbox (its open databases, or XQUOTA to its server)',
  'cli → backend': 'mailbox cmdlets (statistics, exports, recoverable items) open the mailbox databases the back end opens',
};

const key = (e: ImportEdge) => `${e.from} → ${e.to}`;
const edges = importEdges();

test('imports never point to a higher layer', () => {
  const violations = edges.filter((e) => layerOf(areaOf(e.to)) > layerOf(areaOf(e.from))).map(key);
  assert.deepEqual([...new Set(violations)], []);
});

test('no import cycles, type-only imports included', () => {
  const found = cycles(edges).map((component) => `${component.length} modules: ${loopIn(component, edges).join(' → ')}`);
  assert.equal(found.length, 0, `import cycles (one loop shown per cycle):\n${found.join('\n')}`);
});

test('imports between areas of one layer are only the listed ones', () => {
  const violations = new Set<string>();
  const used = new Set<string>();
  for (const e of edges) {
    const from = areaOf(e.from);
    const to = areaOf(e.to);
    if (from === to || layerOf(from) !== layerOf(to)) continue;
    const pair = `${from} → ${to}`;
    if (pair in SIDEWAYS) used.add(pair);
    else violations.add(`${key(e)} (${pair} is not an allowed sideways import)`);
  }
  assert.equal(violations.size, 0, `sideways imports not in SIDEWAYS:\n${[...violations].join('\n')}`);
  assert.deepEqual(Object.keys(SIDEWAYS).filter((pair) => !used.has(pair)), [], 'allowed sideways imports nothing uses any more: remove them');
});

test('the allowed sideways imports form no cycle between areas', () => {
  const pairs = Object.keys(SIDEWAYS).map((pair) => {
    const [from, to] = pair.split(' → ');
    return { from: from!, to: to!, typeOnly: false, dynamic: false };
  });
  assert.deepEqual(cycles(pairs), []);
});

test('the import graph sees every kind of import', () => {
  // Guards the parser-based reader against missing a form: static, type-only, re-export, import().
  const fromMain = edges.filter((e) => e.from === 'main.ts');
  assert.ok(fromMain.some((e) => e.dynamic && e.to === 'host/server.ts'));
  assert.ok(edges.some((e) => e.typeOnly && e.from === 'imap/session/command.ts' && e.to === 'imap/session/context.ts'));
  assert.ok(edges.some((e) => !e.typeOnly && e.from === 'imap/session/session.ts' && e.to === 'imap/commands/index.ts'));
});

test('the cycle finder: components of a made-up graph, and one loop through each', () => {
  const graph = (pairs: string): ImportEdge[] =>
    pairs.split(' ').map((pair) => {
      const [from, to] = pair.split('>');
      return { from: from!, to: to!, typeOnly: false, dynamic: false };
    });
  // a → b → c → a is one cycle; d → e → d another; f imports itself; g → a and c → h hang off.
  const edges = graph('a>b b>c c>a c>h g>a d>e e>d f>f');
  assert.deepEqual(cycles(edges), [['a', 'b', 'c'], ['d', 'e'], ['f']]);
  assert.deepEqual(loopIn(['a', 'b', 'c'], edges), ['a', 'b', 'c', 'a']);
  assert.deepEqual(loopIn(['f'], edges), ['f', 'f']);
  assert.deepEqual(cycles(graph('a>b b>c a>c')), []);
  // A long chain closed at its end is one component (the search does not recurse).
  const chain = graph(Array.from({ length: 20_000 }, (_, i) => `m${i}>m${(i + 1) % 20_000}`).join(' '));
  assert.equal(cycles(chain)[0]!.length, 20_000);
});

test('pure modules do no I/O', () => {
  const pure = sourceFiles().filter((f) => ['mime', 'imap/protocol', 'migration/formats'].includes(areaOf(relative(SRC, f))));
  const offenders = pure.filter((f) => /from\s+'node:(fs|net|tls|http|child_process|dgram)'/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders.map((f) => relative(SRC, f)), []);
});
