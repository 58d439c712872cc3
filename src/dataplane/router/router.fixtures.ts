/** Test fixtures for the router: IR rules with nothing but a fixed answer. */
import type * as ir from '../../ir/types.js';

/** An HTTPRoute rule named `name` of route `route` that answers 200 itself. */
export function directRule(name: string, route = `ns/${name}`): ir.Rule {
  return {
    name,
    kind: 'HTTPRoute',
    route,
    sectionName: null,
    requestFilters: [],
    responseHeaders: null,
    cors: null,
    mirrors: [],
    action: { kind: 'direct', status: 200 },
    timeouts: { requestMs: null, backendRequestMs: null },
    retry: null,
  };
}
