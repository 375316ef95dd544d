// Builds test messages from a tree description and records, independently of the scanner,
// what every part's header and body bytes are. The fixtures in fixtures/*.eml are written by
// make-fixtures.ts from these trees; the expectations written beside them come from here.

export type Bytes = string | Buffer;

export interface LeafNode {
  kind: 'leaf';
  /** Expected type/subtype (what the scanner must report), not a header. */
  type: string;
  headers: Bytes[];
  body: Bytes;
}

export interface MultiNode {
  kind: 'multi';
  type: string;
  headers: Bytes[];
  boundary: string;
  preamble?: Bytes;
  parts: Node[];
  /** Text after the close delimiter line; undefined = nothing after its line break. */
  epilogue?: Bytes;
  /** Transport padding after boundary lines (RFC 2046 §5.1.1). */
  padding?: string;
  /** False: no close delimiter at all (the last part runs to the end). */
  close?: boolean;
}

export interface MessageNode {
  kind: 'message';
  type: string;
  headers: Bytes[];
  message: Node;
}

export type Node = LeafNode | MultiNode | MessageNode;

export interface ExpectedPart {
  type: string;
  header: Buffer;
  body: Buffer;
}

export function leaf(type: string, headers: Bytes[], body: Bytes): LeafNode {
  return { kind: 'leaf', type, headers, body };
}

export function multi(type: string, headers: Bytes[], boundary: string, parts: Node[], extra: Partial<MultiNode> = {}): MultiNode {
  return { kind: 'multi', type, headers, boundary, parts, ...extra };
}

export function message(type: string, headers: Bytes[], inner: Node): MessageNode {
  return { kind: 'message', type, headers, message: inner };
}

/** Converts "\n" in text to the fixture's line ending; Buffers are taken as they are. */
export function toBytes(value: Bytes, eol: string): Buffer {
  return typeof value === 'string' ? Buffer.from(value.replace(/\r?\n/g, eol), 'utf8') : value;
}

function headerBlock(headers: Bytes[], eol: string): Buffer {
  const chunks: Buffer[] = [];
  for (const h of headers) chunks.push(toBytes(h, eol), Buffer.from(eol));
  chunks.push(Buffer.from(eol));
  return Buffer.concat(chunks);
}

/** Renders a node; pushes the expected parts in document order (parent first). */
export function render(node: Node, eol: string, out: ExpectedPart[]): Buffer {
  const header = headerBlock(node.headers, eol);
  const entry: ExpectedPart = { type: node.type, header, body: Buffer.alloc(0) };
  out.push(entry);
  let body: Buffer;
  if (node.kind === 'leaf') {
    body = toBytes(node.body, eol);
  } else if (node.kind === 'message') {
    body = render(node.message, eol, out);
  } else {
    const chunks: Buffer[] = [];
    const pad = node.padding ?? '';
    if (node.preamble !== undefined) chunks.push(toBytes(node.preamble, eol), Buffer.from(eol));
    node.parts.forEach((part, i) => {
      // The line break before each boundary belongs to the boundary (RFC 2046 §5.1.1).
      if (i > 0) chunks.push(Buffer.from(eol));
      chunks.push(Buffer.from(`--${node.boundary}${pad}${eol}`));
      chunks.push(render(part, eol, out));
    });
    if (node.close !== false) {
      chunks.push(Buffer.from(`${eol}--${node.boundary}--${pad}`));
      chunks.push(node.epilogue === undefined ? Buffer.from(eol) : Buffer.concat([Buffer.from(eol), toBytes(node.epilogue, eol)]));
    }
    body = Buffer.concat(chunks);
  }
  entry.body = body;
  return Buffer.concat([header, body]);
}

/** Body lines as IMAP counts them: the LFs (a last line without its line break is not one). */
export function countLines(body: Buffer): number {
  let n = 0;
  for (const b of body) if (b === 0x0a) n++;
  return n;
}

/** Base64 in 76-character lines, "\n"-separated (converted to the fixture's EOL later). */
export function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}

/** Deterministic filler bytes for attachments (a linear congruential generator). */
export function fillerBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
