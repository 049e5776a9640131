'use strict';
// The client's tls options against a proposer serving mutual TLS (--tls_cert_file,
// --tls_key_file, --tls_client_ca_file) with certificates made by `openssl` in a temp dir:
// CA + server certificate for SERVER_NAME (checked via tls.serverName, since the target is
// 127.0.0.1) + client certificate. Cost: ~2 s (openssl, 3 redis-server, 1 proposer).

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Client, GryadkaError } = require('..');
const { Cluster } = require('./cluster');

const OPENSSL_TIMEOUT_MS = 30000;
const READY_TIMEOUT_MS = 15000;
const SERVER_NAME = 'gryadka.test';
const CURVE = 'ec_paramgen_curve:prime256v1';

let cluster;
let certs;

function openssl(args) {
  execFileSync('openssl', args, { timeout: OPENSSL_TIMEOUT_MS, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCerts(dir) {
  const p = (name) => path.join(dir, name);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', CURVE, '-nodes', '-keyout', p('ca.key'),
    '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const leaf = (name, ext, serial) => {
    fs.writeFileSync(p(`${name}.ext`), 'basicConstraints=critical,CA:FALSE\n' +
      `keyUsage=critical,digitalSignature,keyEncipherment\n${ext}`);
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', CURVE, '-nodes', '-keyout', p(`${name}.key`),
      '-out', p(`${name}.csr`), '-subj', `/CN=${name}`]);
    openssl(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
      '-set_serial', String(serial), '-days', '2', '-extfile', p(`${name}.ext`), '-out', p(`${name}.crt`)]);
  };
  leaf('server', `extendedKeyUsage=serverAuth\nsubjectAltName=DNS:${SERVER_NAME}\n`, 2);
  leaf('client', 'extendedKeyUsage=clientAuth\n', 3);
  return { ca: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'),
    clientCert: p('client.crt'), clientKey: p('client.key') };
}

test.before(async () => {
  cluster = new Cluster();
  certs = makeCerts(cluster.dir);
  await cluster.start(1, [`--tls_cert_file=${certs.serverCert}`, `--tls_key_file=${certs.serverKey}`,
    `--tls_client_ca_file=${certs.ca}`]);
});

test.after(async () => {
  if (cluster) await cluster.stop();
});

test('mutual TLS with caFile, certFile, keyFile and serverName puts and gets', async () => {
  const client = new Client({ targets: cluster.targets, tls: { caFile: certs.ca,
    certFile: certs.clientCert, keyFile: certs.clientKey, serverName: SERVER_NAME } });
  try {
    const end = Date.now() + READY_TIMEOUT_MS;
    for (;;) {  // the proposer serves once its first acceptor health check is done
      try { await client.get('node-tls:ready', { deadlineMs: 1000 }); break; } catch (e) {
        if (Date.now() > end) throw new Error(`${e.message}\n${cluster.logs()}`);
      }
    }
    assert.equal((await client.put('node-tls:k', 'secret')).applied, true);
    const got = await client.get('node-tls:k');
    assert.equal(got.record.value.toString(), 'secret');
  } finally {
    client.close();
  }
});

test('without a client certificate, or without TLS, calls fail with UNAVAILABLE', async () => {
  const noCert = new Client({ targets: cluster.targets, retryAttemptsMax: 0,
    tls: { ca: fs.readFileSync(certs.ca), serverName: SERVER_NAME } });
  const plain = new Client({ targets: cluster.targets, retryAttemptsMax: 0 });
  try {
    for (const client of [noCert, plain]) {
      await assert.rejects(client.put('node-tls:k', 'x', { deadlineMs: 2000 }),
        (e) => e instanceof GryadkaError && e.codeName === 'UNAVAILABLE');
    }
  } finally {
    noCert.close();
    plain.close();
  }
});
