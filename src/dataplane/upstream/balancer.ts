/** Round-robin over a backend's ready endpoints. */
import type * as ir from '../../ir/types.js';
import type { CompiledServiceBackend } from '../router/types.js';

/** The next endpoint of `b` (which has at least one). */
export function nextEndpoint(b: CompiledServiceBackend): ir.Endpoint {
  const eps = b.endpoints;
  const i = b.cursor % eps.length;
  b.cursor = i + 1;
  return eps[i] as ir.Endpoint;
}
