import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { prometheusConfigSchema, ScrapeClient, ScrapeError } from '@rollpoint/agent';
import { parseConfig } from '@rollpoint/runtime';
import { expect } from 'chai';
import { OPENSSL, requireTools } from '../testing/debian-tools.js';
import { tempFolder } from '../testing/processes.js';
import { createTestPki, type TestPki } from '../testing/tls.js';

// The prometheus receiver's scrapes over HTTPS: the target's certificate checked against tls_config's
// CA (or not, with insecure_skip_verify), and a client certificate shown to a target that asks for one.

describe('prometheus receiver: scraping over TLS', function () {
  const folder = tempFolder('prometheus-tls');
  let pki: TestPki;
  let server: Server;
  let instance: string;
  const clients: ScrapeClient[] = [];

  before(async function () {
    requireTools(this, OPENSSL);
    pki = await createTestPki(folder);
    const [cert, key, ca] = await Promise.all([pki.serverCertFile, pki.serverKeyFile, pki.caFile].map((file) => readFile(file)));
    // Asks for a client certificate and says whether a valid one came, so one target serves both cases.
    server = createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const mutual = (req.socket as TLSSocket).authorized;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`client_certificate ${mutual ? 1 : 0}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    instance = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async function () {
    await Promise.all(clients.map((client) => client.close()));
    if (server) await new Promise((resolve) => server.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  async function scrape(tlsConfig: Record<string, unknown> | undefined): Promise<string> {
    const config = parseConfig(prometheusConfigSchema, {
      config: { scrape_configs: [{ job_name: 'tls', scheme: 'https', ...(tlsConfig ? { tls_config: tlsConfig } : {}), static_configs: [{ targets: [instance] }] }] },
    });
    const client = await ScrapeClient.create(config.config.scrape_configs[0]!);
    clients.push(client);
    return (await client.scrape(instance, new AbortController().signal)).body;
  }

  it('verifies the target against ca_file', async function () {
    expect(await scrape({ ca_file: pki.caFile })).to.equal('client_certificate 0\n');
  });

  it('refuses a target whose certificate no trusted CA signed, saying why', async function () {
    const error = await scrape(undefined).then(() => undefined, (err: unknown) => err);
    expect(error).to.be.instanceOf(ScrapeError);
    expect((error as ScrapeError).outcome).to.equal('failed');
    expect((error as ScrapeError).message).to.match(/^SELF_SIGNED_CERT_IN_CHAIN: /);
  });

  it('skips the check with insecure_skip_verify', async function () {
    expect(await scrape({ insecure_skip_verify: true })).to.equal('client_certificate 0\n');
  });

  it('shows cert_file and key_file to a target that asks (mutual TLS)', async function () {
    expect(await scrape({ ca_file: pki.caFile, cert_file: pki.clientCertFile, key_file: pki.clientKeyFile })).to.equal('client_certificate 1\n');
  });

  it('checks the name in the certificate: server_name must match it', async function () {
    expect(await scrape({ ca_file: pki.caFile, server_name: 'localhost' })).to.equal('client_certificate 0\n');
    const error = await scrape({ ca_file: pki.caFile, server_name: 'elsewhere.example' }).then(() => undefined, (err: unknown) => err);
    expect((error as ScrapeError).message).to.match(/ERR_TLS_CERT_ALTNAME_INVALID|does not match/);
  });
});
