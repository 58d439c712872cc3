/**
 * TLS material and manifests of the churn scenario's certificate rotation: a test CA and a
 * series of leaf certificates for `*.bench.test` issued by it (generated up front with the
 * conformance suite's generator, test/conformance/certs.ts), the HTTPS listener added to the
 * bench Gateway, and the `kubernetes.io/tls` Secret whose file is rewritten on each rotation.
 */
import { makeCert, type CertPair } from '../../test/conformance/certs.js';
import { NAMESPACE } from './manifests.js';

/** Name of the Secret the HTTPS listener references. */
export const CHURN_SECRET = 'churn-tls';

export interface RotationCerts {
  readonly ca: CertPair;
  /** certs[0] is served first; certs[i] is written by rotation i. CN `churn-cert-<i>`. */
  readonly certs: readonly CertPair[];
}

/** The CA and `n` leaf certificates (RSA 2048; about 0.1–0.3 s each on the bench machine). */
export function makeRotationCerts(n: number): RotationCerts {
  const ca = makeCert({ commonName: 'waygate bench churn CA', isCA: true });
  const certs = Array.from({ length: n }, (_, i) => makeCert({ commonName: certName(i), issuer: ca, sans: { dns: ['*.bench.test'] } }));
  return { ca, certs };
}

/** The common name of certificate `i`. */
export function certName(i: number): string {
  return `churn-cert-${i}`;
}

/**
 * An HTTPS listener (no hostname, so every route of the Gateway attaches to it as well),
 * to append to the listeners of baseManifests().
 */
export function httpsListener(port: number): string {
  return `  - name: https
    protocol: HTTPS
    port: ${port}
    tls:
      mode: Terminate
      certificateRefs:
      - name: ${CHURN_SECRET}
    allowedRoutes:
      namespaces:
        from: Same
`;
}

/** The certificate Secret holding `pair`. */
export function tlsSecretManifest(pair: CertPair): string {
  return `apiVersion: v1
kind: Secret
metadata:
  name: ${CHURN_SECRET}
  namespace: ${NAMESPACE}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(pair.cert).toString('base64')}
  tls.key: ${Buffer.from(pair.key).toString('base64')}
`;
}
