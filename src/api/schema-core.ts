/**
 * Hand-written schemas for the core Kubernetes kinds waygate reads from files (Namespace,
 * Service, EndpointSlice, Secret, ConfigMap) and for ObjectMeta. Only the fields we read are
 * typed; the rest of each `spec` is kept as is (`x-kubernetes-preserve-unknown-fields`), since
 * real manifests carry many fields that do not concern a gateway.
 */
import type { SchemaNode } from './crds/crd-types.js';
import { isIPv4, isIPv6 } from './ip-syntax.js';

/** One problem found in a document: a field path and what is wrong there. */
export interface SchemaIssue {
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const CONFIG_KEY = '^[-._a-zA-Z0-9]+$';
const STRING_MAP: SchemaNode = { type: 'object', additionalProperties: { type: 'string' } };
/** Label keys: an optional DNS-subdomain prefix and `/`, then a name of 1–63 characters. */
const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
/** Label values: empty, or 1–63 characters starting and ending alphanumeric. */
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$';
const LABELS: SchemaNode = {
  type: 'object',
  propertyNames: { maxLength: 317, pattern: LABEL_KEY },
  additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
};

/** The ObjectMeta fields we read. Object names are DNS subdomains, namespaces DNS labels. */
export const OBJECT_META_SCHEMA: SchemaNode = {
  type: 'object',
  required: ['name'],
  'x-kubernetes-preserve-unknown-fields': true,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN },
    namespace: { type: 'string', minLength: 1, maxLength: 63, pattern: DNS_LABEL },
    uid: { type: 'string' },
    generation: { type: 'integer' },
    resourceVersion: { type: 'string' },
    creationTimestamp: { type: 'string', format: 'date-time' },
    deletionTimestamp: { type: 'string', format: 'date-time' },
    labels: LABELS,
    annotations: STRING_MAP,
  },
};

const PORT = { type: 'integer', minimum: 1, maximum: 65535 } as const satisfies SchemaNode;
const PROTOCOL = { type: 'string', enum: ['TCP', 'UDP', 'SCTP'] } as const satisfies SchemaNode;

function kindSchema(spec: Record<string, SchemaNode>, required: string[] = []): SchemaNode {
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', ...required],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: OBJECT_META_SCHEMA,
      ...spec,
    },
  };
}

/** Schemas of the core kinds, keyed by kind. */
export const CORE_SCHEMAS: Record<string, { apiVersion: string; namespaced: boolean; schema: SchemaNode }> = {
  Namespace: {
    apiVersion: 'v1',
    namespaced: false,
    schema: kindSchema({ spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }),
  },
  Service: {
    apiVersion: 'v1',
    namespaced: true,
    schema: kindSchema({
      spec: {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        properties: {
          type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'], default: 'ClusterIP' },
          selector: STRING_MAP,
          clusterIP: { type: 'string' },
          externalName: { type: 'string' },
          ports: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['port', 'protocol'],
            items: {
              type: 'object',
              required: ['port'],
              properties: {
                name: { type: 'string', maxLength: 63, pattern: DNS_LABEL },
                protocol: { ...PROTOCOL, default: 'TCP' },
                port: PORT,
                targetPort: { 'x-kubernetes-int-or-string': true, anyOf: [PORT, { type: 'string', maxLength: 15, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }] },
                nodePort: { type: 'integer' },
                appProtocol: { type: 'string' },
              },
            },
          },
        },
      },
    }),
  },
  EndpointSlice: {
    apiVersion: 'discovery.k8s.io/v1',
    namespaced: true,
    schema: kindSchema(
      {
        addressType: { type: 'string', enum: ['IPv4', 'IPv6', 'FQDN'] },
        endpoints: {
          type: 'array',
          maxItems: 1000,
          items: {
            type: 'object',
            required: ['addresses'],
            'x-kubernetes-preserve-unknown-fields': true,
            properties: {
              addresses: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string' } },
              conditions: {
                type: 'object',
                properties: { ready: { type: 'boolean' }, serving: { type: 'boolean' }, terminating: { type: 'boolean' } },
              },
              targetRef: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              nodeName: { type: 'string' },
              zone: { type: 'string' },
              hostname: { type: 'string' },
            },
          },
        },
        ports: {
          type: 'array',
          maxItems: 100,
          items: {
            type: 'object',
            properties: {
              name: { type: 'string', maxLength: 63 },
              port: { type: 'integer', minimum: 0, maximum: 65535 },
              protocol: { ...PROTOCOL, default: 'TCP' },
              appProtocol: { type: 'string' },
            },
          },
        },
      },
      ['addressType'],
    ),
  },
  Secret: {
    apiVersion: 'v1',
    namespaced: true,
    schema: kindSchema({
      type: { type: 'string', default: 'Opaque' },
      data: { type: 'object', propertyNames: { pattern: CONFIG_KEY }, additionalProperties: { type: 'string' } },
      stringData: { type: 'object', propertyNames: { pattern: CONFIG_KEY }, additionalProperties: { type: 'string' } },
      immutable: { type: 'boolean' },
    }),
  },
  ConfigMap: {
    apiVersion: 'v1',
    namespaced: true,
    schema: kindSchema({
      data: { type: 'object', propertyNames: { pattern: CONFIG_KEY }, additionalProperties: { type: 'string' } },
      binaryData: { type: 'object', propertyNames: { pattern: CONFIG_KEY }, additionalProperties: { type: 'string' } },
      immutable: { type: 'boolean' },
    }),
  },
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks of the core kinds that a schema cannot express (the API server's own validation).
 * Runs on the defaulted object; never includes Secret values in messages.
 */
export function validateCoreKind(kind: string, obj: Record<string, any>): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const error = (path: string, message: string): void => {
    issues.push({ path, message, severity: 'error' });
  };
  if (kind === 'Namespace') {
    const name = obj.metadata?.name;
    if (typeof name === 'string' && (name.length > 63 || !new RegExp(DNS_LABEL).test(name))) {
      error('metadata.name', 'must be a DNS label (at most 63 lowercase letters, digits and dashes)');
    }
  } else if (kind === 'Service') {
    const ports: any[] = Array.isArray(obj.spec?.ports) ? obj.spec.ports : [];
    // "All ports must be named if there is more than one port" (core/v1 ServicePort.name).
    if (ports.length > 1) {
      const seen = new Set<string>();
      ports.forEach((p, i) => {
        if (typeof p?.name !== 'string' || p.name === '') error(`spec.ports[${i}].name`, 'is required when the Service has more than one port');
        else if (seen.has(p.name)) error(`spec.ports[${i}].name`, `duplicate port name "${p.name}"`);
        else seen.add(p.name);
      });
    }
  } else if (kind === 'EndpointSlice') {
    const family = obj.addressType;
    const endpoints: any[] = Array.isArray(obj.endpoints) ? obj.endpoints : [];
    endpoints.forEach((ep, i) => {
      const addrs: unknown[] = Array.isArray(ep?.addresses) ? ep.addresses : [];
      addrs.forEach((a, j) => {
        if (typeof a !== 'string') return;
        const ok = family === 'IPv4' ? isIPv4(a) : family === 'IPv6' ? isIPv6(a) : family === 'FQDN' ? new RegExp(DNS_SUBDOMAIN).test(a) : true;
        if (!ok) error(`endpoints[${i}].addresses[${j}]`, `must be a valid ${family} address`);
      });
    });
  } else if (kind === 'Secret' || kind === 'ConfigMap') {
    const field = kind === 'Secret' ? 'data' : 'binaryData';
    const data = obj[field];
    if (data && typeof data === 'object') {
      for (const [key, value] of Object.entries(data)) {
        if (typeof value === 'string' && !BASE64.test(value.replace(/\s+/g, ''))) {
          error(`${field}[${JSON.stringify(key)}]`, 'must be base64-encoded');
        }
      }
    }
  }
  return issues;
}
