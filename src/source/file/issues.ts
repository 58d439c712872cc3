/**
 * Load issues: what is wrong with a document in the watched directory, named precisely enough
 * to fix it (file, document, object, field path).
 */

/** One problem with one document (or one file, for YAML syntax errors). */
export interface LoadIssue {
  /** Path relative to the loaded directory, with `/` separators. */
  file: string;
  /** 1-based index of the document within the file. */
  document: number;
  kind: string | null;
  name: string | null;
  namespace: string | null;
  /** Field path, e.g. `spec.rules[0].matches[0].path.value` (`''` for the whole document). */
  path: string;
  /** What is wrong, sentence case, e.g. `must be one of Exact, PathPrefix, RegularExpression`. */
  message: string;
  severity: 'error' | 'warning';
}

/**
 * One line for logs and the CLI:
 * `routes.yaml: document 2 (HTTPRoute app/foo): spec.rules[0].matches[0].path.type: must be ...`.
 */
export function formatIssue(i: LoadIssue): string {
  let who = '';
  if (i.kind) {
    const id = i.name ? ` ${i.namespace ? `${i.namespace}/` : ''}${i.name}` : '';
    who = ` (${i.kind}${id})`;
  }
  const where = i.path ? `${i.path}: ` : '';
  return `${i.file}: document ${i.document}${who}: ${where}${i.message}`;
}
