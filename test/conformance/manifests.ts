/**
 * Reading the upstream conformance manifests and filling in their placeholders, as the Go
 * suite's applier does.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as plain JSON. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    generation?: number;
    creationTimestamp?: string;
    uid?: string;
    resourceVersion?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** An address the runner substitutes for PLACEHOLDER_(UN)USABLE_ADDRS. */
export interface PlaceholderAddress {
  type: string;
  value: string;
}

/** Values for every placeholder found in the manifests. */
export interface RenderOptions {
  /** `{GATEWAY_CLASS_NAME}`: the GatewayClass the run creates. */
  gatewayClassName: string;
  /** `{GATEWAY_CONTROLLER_NAME}`: the controller under test. */
  controllerName: string;
  /** `PLACEHOLDER_USABLE_ADDRS`: an address waygate can serve on. */
  usableAddress: PlaceholderAddress;
  /** `PLACEHOLDER_UNUSABLE_ADDRS`: an address waygate cannot use. */
  unusableAddress: PlaceholderAddress;
}

/** Every placeholder the upstream manifests use (found by scanning them). */
export const PLACEHOLDERS = ['{GATEWAY_CLASS_NAME}', '{GATEWAY_CONTROLLER_NAME}', 'PLACEHOLDER_USABLE_ADDRS', 'PLACEHOLDER_UNUSABLE_ADDRS'] as const;

/** Replaces the text placeholders (class and controller name). */
export function renderText(text: string, opts: RenderOptions): string {
  return text.replaceAll('{GATEWAY_CLASS_NAME}', opts.gatewayClassName).replaceAll('{GATEWAY_CONTROLLER_NAME}', opts.controllerName);
}

/** Parses a multi-document YAML stream into objects, skipping empty documents. */
export function parseManifests(text: string, source = 'manifest'): KObject[] {
  const out: KObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message ?? 'YAML error'}`);
    const value = doc.toJSON() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${source}: document is not an object`);
    const obj = value as KObject;
    if (typeof obj.kind !== 'string' || typeof obj.metadata?.name !== 'string') throw new Error(`${source}: object without kind or metadata.name`);
    out.push(obj);
  }
  return out;
}

/**
 * Replaces Gateway `spec.addresses` entries whose value is an address placeholder with the
 * runner's address (type and value), as the upstream applier does.
 */
export function renderAddresses(obj: KObject, opts: RenderOptions): KObject {
  if (obj.kind !== 'Gateway') return obj;
  const spec = obj['spec'] as { addresses?: Array<{ type?: string; value?: string }> } | undefined;
  if (!spec?.addresses) return obj;
  spec.addresses = spec.addresses.map((a) => {
    if (a.value === 'PLACEHOLDER_USABLE_ADDRS') return { ...opts.usableAddress };
    if (a.value === 'PLACEHOLDER_UNUSABLE_ADDRS') return { ...opts.unusableAddress };
    return a;
  });
  return obj;
}

/** Renders a manifest text into objects with every placeholder filled. */
export function renderManifests(text: string, opts: RenderOptions, source?: string): KObject[] {
  return parseManifests(renderText(text, opts), source).map((o) => renderAddresses(o, opts));
}

/** Reads and renders one manifest file. */
export async function loadManifestFile(path: string, opts: RenderOptions): Promise<KObject[]> {
  return renderManifests(await readFile(path, 'utf8'), opts, path);
}
