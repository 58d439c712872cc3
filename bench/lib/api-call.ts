/** A test API server call (the conformance runner's ApiClient) that must succeed. */

/** Awaits `call`; throws `what: code message` when the API answered 300 or above. */
export async function mustCall(call: Promise<[number, unknown]>, what: string): Promise<void> {
  const [code, body] = await call;
  if (code >= 300) throw new Error(`${what}: ${code} ${(body as { message?: string } | null)?.message ?? ''}`);
}
