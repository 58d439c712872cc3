import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseH2loadOutput } from './tls-load.js';
import { nginxTlsConf } from './tls-targets.js';

const H2LOAD = `starting benchmark...
spawning thread #0: 10 total client(s). Timing-based test with 0s of warm-up time and 4s of main duration for measurements.
Main benchmark duration is over for thread #0. Stopping all clients.

finished in 4.00s, 24916.67 req/s, 925.00KB/s
requests: 99670 total, 99680 started, 99666 done, 99660 succeeded, 6 failed, 4 errored, 2 timeout
status codes: 99660 2xx, 0 3xx, 5 4xx, 1 5xx
traffic: 2.71MB (2841596) total, 732.49KB (750066) headers (space savings 91.82%), 274.20KB (280776) data
                     min         max         mean         sd        +/- sd
time for request:     2.17ms     41.50ms      4.00ms      2.31ms    92.36%
time for connect:        0us         0us         0us         0us     0.00%
`;

test('parseH2loadOutput reads rps, done requests, failures and the mean time per request', () => {
  const r = parseH2loadOutput(H2LOAD);
  assert.deepEqual(r, { requests: 99666, rps: 24916.67, p50Ms: 4, p99Ms: null, non2xx: 6, socketErrors: 6 });
  assert.equal(parseH2loadOutput(H2LOAD.replace('4.00ms      2.31ms', '812.50us      2.31ms')).p50Ms, 0.813);
});

test('parseH2loadOutput rejects a report without counts', () => {
  assert.throws(() => parseH2loadOutput('h2load: could not connect'), /unrecognised h2load output/);
});

test('nginxTlsConf terminates TLS 1.3 with HTTP/2 and keeps upstream connections alive', () => {
  const conf = nginxTlsConf({ listen: '127.0.0.1:1234', upstream: '127.0.0.1:80', cert: { certFile: '/c.pem', keyFile: '/k.pem' } });
  assert.match(conf, /listen 127\.0\.0\.1:1234 ssl http2/);
  assert.match(conf, /ssl_protocols TLSv1\.3;/);
  assert.match(conf, /ssl_certificate \/c\.pem;/);
  assert.match(conf, /keepalive 64;/);
});
