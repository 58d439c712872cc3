/**
 * TLS material the upstream suite creates at start-up and the manifests lack: certificate
 * Secrets and CA ConfigMaps, generated fresh for each run (node-forge for X.509, node:crypto
 * for the RSA keys because it is much faster).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A PEM certificate and its PEM private key. */
export interface CertPair {
  cert: string;
  key: string;
}

/** Subject alternative names: DNS names, URIs, IPs. */
export interface CertSans {
  dns?: string[];
  uris?: string[];
  ips?: string[];
}

/** Options for one certificate. */
export interface CertOptions {
  commonName: string;
  sans?: CertSans;
  /** Sign with this CA; self-signed when absent. */
  issuer?: CertPair;
  isCA?: boolean;
  /** Extended key usage: server (default), client, or both. */
  usage?: 'server' | 'client' | 'both';
}

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { privateKey: priv, publicKey: pub, pem };
}

/** Creates a certificate (and a new key) as described by `opts`. */
export function makeCert(opts: CertOptions): CertPair {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + 365 * 24 * 60 * 60 * 1000);
  const subject = [{ name: 'commonName', value: opts.commonName }, { name: 'organizationName', value: 'waygate conformance' }];
  cert.setSubject(subject);
  let signer = keys.privateKey;
  if (opts.issuer) {
    const ca = forge.pki.certificateFromPem(opts.issuer.cert);
    cert.setIssuer(ca.subject.attributes);
    signer = forge.pki.privateKeyFromPem(opts.issuer.key) as forge.pki.rsa.PrivateKey;
  } else {
    cert.setIssuer(subject);
  }
  const altNames: Array<{ type: number; value?: string; ip?: string }> = [];
  for (const d of opts.sans?.dns ?? []) altNames.push({ type: 2, value: d });
  for (const u of opts.sans?.uris ?? []) altNames.push({ type: 6, value: u });
  for (const ip of opts.sans?.ips ?? []) altNames.push({ type: 7, ip });
  const usage = opts.usage ?? 'server';
  const extensions: object[] = [
    { name: 'basicConstraints', cA: opts.isCA === true, critical: true },
    opts.isCA
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (!opts.isCA) {
    extensions.push({ name: 'extKeyUsage', serverAuth: usage !== 'client', clientAuth: usage !== 'server' });
  }
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  cert.sign(signer, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

/** A Kubernetes TLS Secret object holding a certificate pair. */
export function tlsSecret(namespace: string, name: string, pair: CertPair): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(pair.cert).toString('base64'),
      'tls.key': Buffer.from(pair.key).toString('base64'),
    },
  };
}

/** A CA ConfigMap (`ca.crt`) object. */
export function caConfigMap(namespace: string, name: string, caCert: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { 'ca.crt': caCert } };
}

/** Everything generated for a run: the objects to apply and the PEMs clients need. */
export interface TlsMaterial {
  objects: Array<Record<string, unknown>>;
  /** PEMs by `<namespace>/<name>` of the Secret (cert/key) or ConfigMap (cert only). */
  pems: Map<string, CertPair>;
}

const INFRA = 'gateway-conformance-infra';
const APP = 'gateway-conformance-app-backend';
const WEB = 'gateway-conformance-web-backend';

/**
 * Generates the Secrets and ConfigMaps the upstream suite creates before running (names from
 * /work/shared/conformance/README.md and from scanning the manifests for certificate and CA
 * references that have no object; references meant to dangle, e.g. `does-not-exist`, stay
 * missing).
 */
export function generateTlsMaterial(): TlsMaterial {
  const objects: Array<Record<string, unknown>> = [];
  const pems = new Map<string, CertPair>();
  const secret = (ns: string, name: string, pair: CertPair): void => {
    objects.push(tlsSecret(ns, name, pair));
    pems.set(`${ns}/${name}`, pair);
  };
  const ca = (ns: string, name: string, pair: CertPair): void => {
    objects.push(caConfigMap(ns, name, pair.cert));
    pems.set(`${ns}/${name}`, { cert: pair.cert, key: '' });
  };

  // Frontend certificate of the HTTPS listeners: self-signed, valid for the test hostnames.
  const validity = makeCert({ commonName: 'tls-validity-checks', sans: { dns: ['*', '*.org', '*.wildcard.org'] }, usage: 'server' });
  secret(INFRA, 'tls-validity-checks-certificate', validity);
  secret(WEB, 'certificate', makeCert({ commonName: 'certificate', sans: { dns: ['*', '*.org', '*.wildcard.org'] } }));

  // Frontend client-certificate validation: two CAs and a client certificate from each.
  const frontCA = makeCert({ commonName: 'tls-validity-checks-ca', isCA: true });
  const perPortCA = makeCert({ commonName: 'tls-validity-checks-per-port-ca', isCA: true });
  ca(INFRA, 'tls-validity-checks-ca-certificate', frontCA);
  ca(INFRA, 'tls-validity-checks-per-port-ca-certificate', perPortCA);
  secret(INFRA, 'tls-validity-checks-client-certificate', makeCert({ commonName: 'client', issuer: frontCA, usage: 'client' }));
  secret(INFRA, 'tls-validity-checks-per-port-client-certificate', makeCert({ commonName: 'client-per-port', issuer: perPortCA, usage: 'client' }));
  ca(WEB, 'web-backend-cm', makeCert({ commonName: 'web-backend-ca', isCA: true }));

  // Backend TLS (BackendTLSPolicy, passthrough, terminate): one CA, several leaf certificates.
  const checksCA = makeCert({ commonName: 'tls-checks-ca', isCA: true });
  ca(INFRA, 'tls-checks-ca-certificate', checksCA);
  ca(INFRA, 'mismatch-ca-certificate', makeCert({ commonName: 'mismatch-ca', isCA: true }));
  secret(
    INFRA,
    'tls-checks-certificate',
    makeCert({
      commonName: 'abc.example.com',
      issuer: checksCA,
      sans: { dns: ['abc.example.com', 'other.example.com'], uris: ['spiffe://abc.example.com/test-identity'] },
    }),
  );
  const passthrough = makeCert({ commonName: 'abc.example.com', issuer: checksCA, sans: { dns: ['abc.example.com'] } });
  secret(INFRA, 'tls-passthrough-checks-certificate', passthrough);
  secret(APP, 'tls-passthrough-checks-certificate', passthrough);
  secret(INFRA, 'tls-terminate-checks-certificate', makeCert({ commonName: 'tls.example.com', issuer: checksCA, sans: { dns: ['tls.example.com'] } }));
  secret(INFRA, 'tls-checks-client-certificate', makeCert({ commonName: 'gateway-client', issuer: checksCA, usage: 'client' }));
  return { objects, pems };
}
