/**
 * `-o yaml|json` output of Kubernetes objects: a YAML multi-document stream or a JSON `List`.
 */
import { stringify } from 'yaml';

/** Formats objects as `kubectl get -o yaml|json` would print several of them. */
export function formatObjects(objects: readonly unknown[], format: 'yaml' | 'json'): string {
  if (format === 'json') {
    return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  }
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}
