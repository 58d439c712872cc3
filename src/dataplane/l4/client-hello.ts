/**
 * Reading the SNI out of a TLS ClientHello without terminating TLS (RFC 8446 §4.1.2, RFC 6066
 * §3), for routing TLS Passthrough and mixed-mode listeners.
 *
 * The bytes are only parsed, never consumed for good: the caller keeps everything it read and
 * replays it to the backend (passthrough) or to its own TLS server (terminate). The ClientHello
 * may span several TLS records; the parser reassembles the handshake message across records,
 * within a hard size limit.
 */

/** The result of parsing what has arrived so far. */
export type ClientHelloResult =
  /** More bytes are needed. */
  | { readonly kind: 'partial' }
  /** Not a TLS ClientHello (or malformed, or over the limit): close the connection. */
  | { readonly kind: 'invalid'; readonly reason: string }
  /** A complete ClientHello; `sni` is the host_name (lower-cased) or null when absent. */
  | { readonly kind: 'hello'; readonly sni: string | null };

/** TLS record content type of handshake records. */
const HANDSHAKE = 22;
/** Handshake message type of a ClientHello. */
const CLIENT_HELLO = 1;
/** Extension number of server_name. */
const SERVER_NAME = 0;
/** The largest ClientHello accepted by default (post-quantum key shares make them ~2 KiB). */
export const MAX_CLIENT_HELLO = 16 * 1024;

/**
 * Parses the start of a TLS stream. `data` holds every byte received so far. Returns `partial`
 * until the whole ClientHello handshake message is there.
 */
export function parseClientHello(data: Uint8Array, maxBytes: number = MAX_CLIENT_HELLO): ClientHelloResult {
  // Reassemble the handshake layer from consecutive handshake records.
  const parts: Uint8Array[] = [];
  let have = 0;
  let need = -1; // total handshake bytes needed (4-byte header + body), once known
  let off = 0;
  while (need < 0 || have < need) {
    if (data.length - off < 5) return partial(data, maxBytes);
    const type = data[off] as number;
    const major = data[off + 1] as number;
    const length = ((data[off + 3] as number) << 8) | (data[off + 4] as number);
    if (type !== HANDSHAKE) return invalid(off === 0 ? 'not a TLS handshake' : 'ClientHello interrupted by another record type');
    if (major !== 3) return invalid('unknown TLS record version');
    if (length === 0 || length > 16384 + 2048) return invalid('bad TLS record length');
    if (data.length - off - 5 < length) return partial(data, maxBytes);
    const fragment = data.subarray(off + 5, off + 5 + length);
    parts.push(fragment);
    have += fragment.length;
    off += 5 + length;
    if (need < 0 && have >= 4) {
      const first = concat(parts, 4);
      if (first[0] !== CLIENT_HELLO) return invalid('first handshake message is not a ClientHello');
      need = 4 + (((first[1] as number) << 16) | ((first[2] as number) << 8) | (first[3] as number));
      if (need > maxBytes) return invalid('ClientHello too large');
    }
    if (off > maxBytes + 1024) return invalid('ClientHello too large');
  }
  const hello = concat(parts, need).subarray(4);
  return parseHelloBody(hello);
}

function parseHelloBody(b: Uint8Array): ClientHelloResult {
  let p = 2 + 32; // legacy_version, random
  if (b.length < p + 1) return invalid('truncated ClientHello');
  p += 1 + (b[p] as number); // legacy_session_id
  if (b.length < p + 2) return invalid('truncated ClientHello');
  p += 2 + u16(b, p); // cipher_suites
  if (b.length < p + 1) return invalid('truncated ClientHello');
  p += 1 + (b[p] as number); // legacy_compression_methods
  if (p === b.length) return { kind: 'hello', sni: null }; // no extensions at all
  if (b.length < p + 2) return invalid('truncated ClientHello');
  const end = p + 2 + u16(b, p);
  if (end > b.length) return invalid('truncated ClientHello extensions');
  p += 2;
  while (p + 4 <= end) {
    const type = u16(b, p);
    const len = u16(b, p + 2);
    p += 4;
    if (p + len > end) return invalid('truncated extension');
    if (type === SERVER_NAME) return parseServerName(b.subarray(p, p + len));
    p += len;
  }
  return { kind: 'hello', sni: null };
}

/** server_name extension: ServerNameList { NameType(1) HostName<1..2^16-1> }. */
function parseServerName(e: Uint8Array): ClientHelloResult {
  if (e.length < 2) return invalid('bad server_name extension');
  const end = Math.min(e.length, 2 + u16(e, 0));
  let p = 2;
  while (p + 3 <= end) {
    const nameType = e[p] as number;
    const len = u16(e, p + 1);
    p += 3;
    if (p + len > end) return invalid('bad server_name entry');
    if (nameType === 0) {
      let name = '';
      for (let i = p; i < p + len; i++) {
        const c = e[i] as number;
        // RFC 6066: "HostName" is ASCII, no trailing dot; reject control bytes and non-ASCII.
        if (c <= 0x20 || c >= 0x7f) return invalid('server_name is not an ASCII host name');
        name += String.fromCharCode(c);
      }
      if (name.endsWith('.')) name = name.slice(0, -1);
      return { kind: 'hello', sni: name === '' ? null : name.toLowerCase() };
    }
    p += len;
  }
  return { kind: 'hello', sni: null };
}

function u16(b: Uint8Array, p: number): number {
  return ((b[p] as number) << 8) | (b[p + 1] as number);
}

function concat(parts: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const part of parts) {
    if (o >= n) break;
    const take = Math.min(part.length, n - o);
    out.set(part.subarray(0, take), o);
    o += take;
  }
  return out;
}

function partial(data: Uint8Array, maxBytes: number): ClientHelloResult {
  return data.length > maxBytes + 1024 ? invalid('ClientHello too large') : { kind: 'partial' };
}

function invalid(reason: string): ClientHelloResult {
  return { kind: 'invalid', reason };
}
