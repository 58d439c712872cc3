/**
 * Path modifiers shared by URLRewrite and RequestRedirect.
 *
 * Spec (HTTPPathModifier.ReplacePrefixMatch): "ReplacePrefixMatch specifies the value with which
 * to replace the prefix match of a request during a rewrite or redirect. For example, a request
 * to "/foo/bar" with a prefix match of "/foo" and a ReplacePrefixMatch of "/xyz" would be
 * modified to "/xyz/bar". Note that this matches the behavior of the PathPrefix match type. This
 * matches full path elements." The godoc table:
 *
 *   Request Path | Prefix Match | Replace Prefix | Modified Path
 *   /foo/bar     | /foo         | /xyz           | /xyz/bar
 *   /foo/bar     | /foo         | /xyz/          | /xyz/bar
 *   /foo/bar     | /foo/        | /xyz           | /xyz/bar
 *   /foo/bar     | /foo/        | /xyz/          | /xyz/bar
 *   /foo         | /foo         | /xyz           | /xyz
 *   /foo/        | /foo         | /xyz           | /xyz/
 *   /foo/bar     | /foo         | <empty string> | /bar
 *   /foo/        | /foo         | <empty string> | /
 *   /foo         | /foo         | <empty string> | /
 *   /foo/        | /foo         | /              | /
 *   /foo         | /foo         | /              | /
 */
import type * as ir from '../../ir/types.js';

function trimTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * Replaces the element-wise `prefix` of `path` with `replacement`. The rest of the path keeps
 * its own leading and trailing slashes; an empty result is `/`. A path the prefix does not
 * cover (cannot happen for a rule matched by that prefix) is returned unchanged.
 */
export function replacePrefix(path: string, prefix: string, replacement: string): string {
  const p = trimTrailingSlashes(prefix);
  if (p !== '') {
    if (!path.startsWith(p)) return path;
    if (path.length !== p.length && path.charCodeAt(p.length) !== 47) return path;
  }
  const rest = path.slice(p.length); // '' or starts with '/'
  const out = trimTrailingSlashes(replacement) + rest;
  return out === '' ? '/' : out;
}

/** Applies a path modifier to a path (no query). */
export function rewritePath(path: string, mod: ir.PathRewrite): string {
  return mod.type === 'ReplaceFullPath' ? mod.value : replacePrefix(path, mod.prefix, mod.value);
}
