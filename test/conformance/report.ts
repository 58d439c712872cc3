/**
 * The ConformanceReport (upstream conformance/apis/v1) and the console table.
 *
 * Profiles (digest §b): a test belongs to a profile when all its features are in the
 * profile's core ∪ extended set; it counts as core when all its features are core features of
 * the profile. Add a profile by adding a row to PROFILES.
 */
import { stringify } from 'yaml';

/** The outcome of one test. */
export interface TestResult {
  shortName: string;
  features: string[];
  provisional: boolean;
  result: 'passed' | 'failed' | 'skipped';
  seconds: number;
  reason?: string;
}

/** A conformance profile: its core and extended feature sets. */
export interface Profile {
  name: string;
  core: string[];
  extended: string[];
}

const GATEWAY_EXTENDED = [
  'GatewayPort8080',
  'GatewayStaticAddresses',
  'GatewayHTTPListenerIsolation',
  'GatewayHTTPSListenerDetectMisdirectedRequests',
  'GatewayInfrastructurePropagation',
  'GatewayAddressEmpty',
  'GatewayBackendClientCertificate',
  'GatewayFrontendClientCertificateValidation',
  'GatewayFrontendClientCertificateValidationInsecureFallback',
  'ListenerSet',
];

/** Profiles this runner reports; GATEWAY-HTTP now, the others are ready to enable. */
export const PROFILES: Record<string, Profile> = {
  'GATEWAY-HTTP': {
    name: 'GATEWAY-HTTP',
    core: ['Gateway', 'ReferenceGrant', 'HTTPRoute'],
    extended: [
      ...GATEWAY_EXTENDED,
      'HTTPRouteDestinationPortMatching',
      'HTTPRouteBackendRequestHeaderModification',
      'HTTPRouteQueryParamMatching',
      'HTTPRouteMethodMatching',
      'HTTPRouteResponseHeaderModification',
      'HTTPRoutePortRedirect',
      'HTTPRouteSchemeRedirect',
      'HTTPRoutePathRedirect',
      'HTTPRouteHostRewrite',
      'HTTPRoutePathRewrite',
      'HTTPRouteRequestMirror',
      'HTTPRouteRequestMultipleMirrors',
      'HTTPRouteRequestPercentageMirror',
      'HTTPRouteRequestTimeout',
      'HTTPRouteBackendTimeout',
      'HTTPRouteParentRefPort',
      'HTTPRouteBackendProtocolH2C',
      'HTTPRouteBackendProtocolWebSocket',
      'HTTPRouteNamedRouteRule',
      'HTTPRouteCORS',
      'HTTPRoute303RedirectStatusCode',
      'HTTPRoute307RedirectStatusCode',
      'HTTPRoute308RedirectStatusCode',
      'HTTPRouteRetry',
      'HTTPRouteRetryBackendTimeout',
      'HTTPRouteRetryConnectionError',
      'BackendTLSPolicy',
      'BackendTLSPolicySANValidation',
    ],
  },
  'GATEWAY-TLS': { name: 'GATEWAY-TLS', core: ['Gateway', 'ReferenceGrant', 'TLSRoute'], extended: [...GATEWAY_EXTENDED, 'TLSRouteModeTerminate', 'TLSRouteModeMixed'] },
  'GATEWAY-GRPC': { name: 'GATEWAY-GRPC', core: ['Gateway', 'ReferenceGrant', 'GRPCRoute'], extended: [...GATEWAY_EXTENDED] },
  'GATEWAY-TCP': { name: 'GATEWAY-TCP', core: ['Gateway', 'ReferenceGrant', 'TCPRoute'], extended: [...GATEWAY_EXTENDED] },
  'GATEWAY-UDP': { name: 'GATEWAY-UDP', core: ['Gateway', 'ReferenceGrant', 'UDPRoute'], extended: [...GATEWAY_EXTENDED] },
};

/** The profiles reported by default. */
export const DEFAULT_PROFILES = ['GATEWAY-HTTP', 'GATEWAY-TLS', 'GATEWAY-GRPC', 'GATEWAY-TCP', 'GATEWAY-UDP'];

type Status = { result: 'success' | 'partial' | 'failure'; statistics: { Passed: number; Failed: number; Skipped: number }; skippedTests?: string[]; failedTests?: string[] };

function status(results: TestResult[]): Status {
  const passed = results.filter((r) => r.result === 'passed').length;
  const failed = results.filter((r) => r.result === 'failed').map((r) => r.shortName).sort();
  const skipped = results.filter((r) => r.result === 'skipped').map((r) => r.shortName).sort();
  return {
    result: failed.length > 0 ? 'failure' : skipped.length > 0 ? 'partial' : 'success',
    statistics: { Passed: passed, Failed: failed.length, Skipped: skipped.length },
    ...(skipped.length > 0 ? { skippedTests: skipped } : {}),
    ...(failed.length > 0 ? { failedTests: failed } : {}),
  };
}

/** Builds the report object for the given profiles. */
export function buildReport(results: TestResult[], opts: { supportedFeatures: string[]; version: string; profiles?: string[]; date?: Date; mode?: string }): Record<string, unknown> {
  const supported = new Set(opts.supportedFeatures);
  const profiles = (opts.profiles ?? DEFAULT_PROFILES).map((name) => {
    const p = PROFILES[name];
    if (!p) throw new Error(`unknown profile ${name}`);
    const all = new Set([...p.core, ...p.extended]);
    const mine = results.filter((r) => r.features.every((f) => all.has(f)));
    const core = mine.filter((r) => r.features.every((f) => p.core.includes(f)));
    const ext = mine.filter((r) => !r.features.every((f) => p.core.includes(f)));
    const coreStatus = status(core);
    const extStatus = status(ext);
    const summary =
      `Core tests ${coreStatus.result === 'success' ? 'succeeded' : coreStatus.result === 'partial' ? 'partially succeeded' : 'failed'}` +
      ` (${coreStatus.statistics.Passed} passed, ${coreStatus.statistics.Failed} failed, ${coreStatus.statistics.Skipped} skipped).` +
      ` Extended tests ${extStatus.result === 'success' ? 'succeeded' : extStatus.result === 'partial' ? 'partially succeeded' : 'failed'}` +
      ` (${extStatus.statistics.Passed} passed, ${extStatus.statistics.Failed} failed, ${extStatus.statistics.Skipped} skipped).`;
    const supportedFeatures = p.extended.filter((f) => supported.has(f)).sort();
    const unsupportedFeatures = p.extended.filter((f) => !supported.has(f)).sort();
    return {
      name,
      summary,
      core: coreStatus,
      extended: {
        ...extStatus,
        ...(supportedFeatures.length > 0 ? { supportedFeatures } : {}),
        ...(unsupportedFeatures.length > 0 ? { unsupportedFeatures } : {}),
      },
    };
  });
  const succeededProvisionalTests = results.filter((r) => r.provisional && r.result === 'passed').map((r) => r.shortName).sort();
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'ConformanceReport',
    date: (opts.date ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z'),
    implementation: {
      organization: 'waygate',
      project: 'waygate',
      url: 'https://github.com/waygate/waygate',
      version: opts.version,
      contact: ['https://github.com/waygate/waygate/issues'],
    },
    gatewayAPIVersion: 'v1.6.1',
    gatewayAPIChannel: 'experimental',
    mode: opts.mode ?? 'default',
    profiles,
    ...(succeededProvisionalTests.length > 0 ? { succeededProvisionalTests } : {}),
  };
}

/** The report as YAML. */
export function reportYaml(report: Record<string, unknown>): string {
  return stringify(report, { lineWidth: 0 });
}

/** The console table: test, result, seconds, reason. */
export function formatTable(results: TestResult[]): string {
  const w = Math.max(4, ...results.map((r) => r.shortName.length));
  const lines = [`${'TEST'.padEnd(w)}  RESULT   SECONDS  REASON`];
  for (const r of results) {
    const reason = (r.reason ?? '').replace(/\s+/g, ' ');
    lines.push(`${r.shortName.padEnd(w)}  ${r.result.padEnd(7)}  ${r.seconds.toFixed(1).padStart(7)}  ${reason.length > 400 ? `${reason.slice(0, 400)}…` : reason}`);
  }
  const count = (k: TestResult['result']): number => results.filter((r) => r.result === k).length;
  lines.push(`\n${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
  return lines.join('\n');
}
