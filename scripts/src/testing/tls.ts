import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

// A throwaway PKI for TLS tests (syslog over TLS, RFC 5425), made with the openssl command line.

const run = promisify(execFile);

export interface TestPki {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A client certificate from the same CA that has expired. */
  expiredClientCertFile: string;
  expiredClientKeyFile: string;
}

/** Validity of every certificate, in days. */
const DAYS = '2';

// `openssl req` needs a config file; this one is ours so OPENSSL_CONF and the system openssl.cnf play no part.
const REQ_CONFIG = ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', ''].join('\n');

// GnuTLS (rsyslog's gtls driver) is stricter than OpenSSL: the CA says CA:TRUE and keyCertSign, leaves say CA:FALSE,
// and the key usages fit an EC key (digitalSignature only: ECDSA keys never encipher).
const CA_EXTENSIONS = ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash', ''];
const leafExtensions = (extendedKeyUsage: string, subjectAltName?: string) =>
  [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    `extendedKeyUsage = ${extendedKeyUsage}`,
    ...(subjectAltName ? [`subjectAltName = ${subjectAltName}`] : []),
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    '',
  ];

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30000 });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr ?? String(error)}`, { cause: error });
  }
}

/** Writes an unencrypted EC P-256 private key (PKCS#8 PEM) to `file`. */
const newKey = (file: string) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);

/**
 * Creates, inside `folder`, a CA (CN=rollpoint test CA), a server certificate for CN=localhost with
 * subjectAltName DNS:localhost, IP:127.0.0.1 (serverAuth) and a client certificate for CN=rollpoint-test-client
 * (clientAuth), both signed by that CA, and an expired client certificate; EC P-256 keys, SHA-256
 * signatures, valid for 2 days, PEM files.
 */
export async function createTestPki(folder: string): Promise<TestPki> {
  const file = (name: string) => join(folder, name);
  const reqConfig = file('req.cnf');
  await writeFile(reqConfig, REQ_CONFIG);

  const caFile = file('ca.pem');
  const caKey = file('ca.key');
  await newKey(caKey);
  await openssl(['req', '-new', '-config', reqConfig, '-key', caKey, '-subj', '/CN=rollpoint test CA', '-out', file('ca.csr')]);
  await writeFile(file('ca.ext'), CA_EXTENSIONS.join('\n'));
  await openssl(['x509', '-req', '-in', file('ca.csr'), '-signkey', caKey, '-days', DAYS, '-sha256', '-extfile', file('ca.ext'), '-out', caFile]);

  const leaf = async (name: string, commonName: string, extensions: string[], days = DAYS) => {
    const key = file(`${name}.key`);
    const cert = file(`${name}.pem`);
    await newKey(key);
    await openssl(['req', '-new', '-config', reqConfig, '-key', key, '-subj', `/CN=${commonName}`, '-out', file(`${name}.csr`)]);
    await writeFile(file(`${name}.ext`), extensions.join('\n'));
    await openssl([
      'x509', '-req', '-in', file(`${name}.csr`), '-CA', caFile, '-CAkey', caKey, '-CAserial', file('ca.srl'), '-CAcreateserial',
      '-days', days, '-sha256', '-extfile', file(`${name}.ext`), '-out', cert,
    ]);
    return { cert, key };
  };
  const server = await leaf('server', 'localhost', leafExtensions('serverAuth', 'DNS:localhost, IP:127.0.0.1'));
  const client = await leaf('client', 'rollpoint-test-client', leafExtensions('clientAuth'));
  // Valid for no time at all (notAfter = notBefore): expired from the next second on.
  const expired = await leaf('expired-client', 'rollpoint-expired-client', leafExtensions('clientAuth'), '0');
  return {
    caFile,
    serverCertFile: server.cert,
    serverKeyFile: server.key,
    clientCertFile: client.cert,
    clientKeyFile: client.key,
    expiredClientCertFile: expired.cert,
    expiredClientKeyFile: expired.key,
  };
}
