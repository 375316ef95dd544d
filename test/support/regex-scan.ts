// Finds every regular expression in a source tree with the TypeScript parser: literals, and
// `new RegExp(…)` / `RegExp(…)` calls (whose pattern is only known when the program runs).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface FoundRegex {
  /** Path below the scanned folder, with forward slashes. */
  file: string;
  line: number;
  /** The expression as written, white space collapsed. */
  text: string;
  /** The compiled expression of a literal; null for a constructor call. */
  regex: RegExp | null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

export function regularExpressionsIn(root: string): FoundRegex[] {
  const found: FoundRegex[] = [];
  for (const path of sourceFiles(root)) {
    const file = relative(root, path).split('\\').join('/');
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      const literal = node.kind === ts.SyntaxKind.RegularExpressionLiteral;
      const constructed = (ts.isNewExpression(node) || ts.isCallExpression(node)) && node.expression.getText(source) === 'RegExp';
      if (literal || constructed) {
        const text = node.getText(source).replace(/\s+/g, ' ');
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        // The literal's own text is a JavaScript expression: evaluating it gives the expression.
        const regex = literal ? (new Function(`return ${text};`)() as RegExp) : null;
        found.push({ file, line, text, regex });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}
