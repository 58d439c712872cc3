/**
 * Lists kept across passes, at their exact size. V8 gives an array that grows by `push` room for
 * at least 17 items (a 152-byte backing store) and never takes it back; the lists a route's IR
 * and attachment keep (matches, filters, backends, endpoints, parents, conditions, placements)
 * mostly hold one or two items and live as long as the route is unchanged, so under churn every
 * edit pass leaves that slack behind for the scavenger to copy and promote. An exact copy of a
 * short list is ~128 bytes smaller; an empty one has no backing store to trim.
 */
export function exact<T>(list: T[]): T[] {
  return list.length > 0 && list.length < 16 ? list.slice() : list;
}
