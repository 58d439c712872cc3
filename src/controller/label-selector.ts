/** Kubernetes label selectors, as used by allowedRoutes and allowedListeners namespace selectors. */
import type * as api from '../api/types.js';

/**
 * Kubernetes label selector semantics: matchLabels and matchExpressions are ANDed; an empty
 * selector matches everything; an unknown operator matches nothing.
 */
export function matchesLabelSelector(selector: api.LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
