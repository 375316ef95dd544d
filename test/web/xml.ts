// Parses XML with Python's standard library (python3 is already a test dependency), so the
// documents are checked by a real parser rather than by the patterns that produced them.
import { execFileSync } from 'node:child_process';

export interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlElement[];
}

const PARSE = `
import sys, json, xml.etree.ElementTree as ET
def walk(e):
    tag = e.tag.split('}')[-1]
    ns = e.tag[1:].split('}')[0] if e.tag.startswith('{') else ''
    attrs = dict(e.attrib)
    if ns: attrs['xmlns'] = ns
    return {'tag': tag, 'attrs': attrs, 'text': (e.text or '').strip(), 'children': [walk(c) for c in e]}
print(json.dumps(walk(ET.fromstring(sys.stdin.buffer.read()))))
`;

export function parseXml(text: string): XmlElement {
  return JSON.parse(execFileSync('python3', ['-c', PARSE], { input: text, encoding: 'utf8' })) as XmlElement;
}

/** Python's plistlib: what macOS and iOS read. */
export function parsePlist(text: string): Record<string, unknown> {
  const code = 'import sys, json, plistlib; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))';
  return JSON.parse(execFileSync('python3', ['-c', code], { input: text, encoding: 'utf8' })) as Record<string, unknown>;
}

export function child(e: XmlElement, tag: string): XmlElement {
  const found = e.children.find((c) => c.tag === tag);
  if (!found) throw new Error(`<${e.tag}> has no <${tag}>`);
  return found;
}

export function children(e: XmlElement, tag: string): XmlElement[] {
  return e.children.filter((c) => c.tag === tag);
}

/** Child tag → text, for elements whose children are all simple. */
export function fields(e: XmlElement): Record<string, string> {
  return Object.fromEntries(e.children.map((c) => [c.tag, c.text]));
}
