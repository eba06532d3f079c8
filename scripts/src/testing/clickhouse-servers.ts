import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnManaged, spawnNode, tempFolder, waitUntil, type ManagedProcess } from './processes.js';
import { CLICKHOUSE_HTTP } from './paths.js';

// ClickHouse servers for the server driver's tests, on loopback, each in a temporary folder.

export interface ClickHouseServer extends ManagedProcess {
  url: string;
  user: string;
  password: string;
}

export const TEST_USER = 'rollpoint';
export const TEST_PASSWORD = 'test-password-1234';

async function ready(process: ManagedProcess, url: string): Promise<void> {
  await waitUntil(async () => (await fetch(`${url}/ping`)).ok, 'ClickHouse to answer /ping', 60000, process);
}

/** A TCP port that answers: for a server whose certificate fetch() would not trust. */
const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

/**
 * Debian's clickhouse-server (18.16, the only server package this machine can install; installed by
 * .ci/run), with the user rollpoint whose password is TEST_PASSWORD.
 */
export async function startDebianClickHouse(): Promise<ClickHouseServer> {
  const folder = tempFolder('clickhouse18');
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  mkdirSync(join(folder, 'data'));
  mkdirSync(join(folder, 'tmp'));
  writeFileSync(
    join(folder, 'config.xml'),
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${folder}/data/</path>
  <tmp_path>${folder}/tmp/</tmp_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709120</mark_cache_size>
</yandex>
`,
  );
  writeFileSync(
    join(folder, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <${TEST_USER}>
      <password>${TEST_PASSWORD}</password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </${TEST_USER}>
  </users>
  <quotas><default></default></quotas>
</yandex>
`,
  );
  const server = spawnManaged('/usr/sbin/clickhouse-server', [`--config-file=${join(folder, 'config.xml')}`], process.env, [folder]);
  const url = `http://127.0.0.1:${httpPort}`;
  await ready(server, url);
  return { ...server, url, user: TEST_USER, password: TEST_PASSWORD };
}

/**
 * The ClickHouse engine of chdb (26.x) behind ClickHouse's HTTP interface (see clickhouse-http.ts);
 * with `backupsDisk`, a disk named `backups` in that folder takes its backups.
 */
export async function startEmbeddedEngineServer(
  options: { dataDir?: string; port?: number; statementLog?: string; tls?: { certFile: string; keyFile: string }; backupsDisk?: string } = {},
): Promise<ClickHouseServer & { dataDir: string }> {
  const folder = tempFolder('clickhouse-http');
  const dataDir = options.dataDir ?? join(folder, 'data');
  const port = options.port ?? (await freePort());
  const args = [dataDir, String(port), TEST_USER, TEST_PASSWORD, ...(options.statementLog ? [options.statementLog] : [])];
  const tlsEnv = options.tls ? { TLS_CERT_FILE: options.tls.certFile, TLS_KEY_FILE: options.tls.keyFile } : {};
  const backupsEnv = options.backupsDisk ? { BACKUPS_DISK_PATH: options.backupsDisk } : {};
  const server = spawnNode(CLICKHOUSE_HTTP, args, { ...tlsEnv, ...backupsEnv }, [folder]);
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  if (options.tls) await waitUntil(() => listening(port), 'ClickHouse to listen', 60000, server);
  else await ready(server, url);
  return { ...server, url, user: TEST_USER, password: TEST_PASSWORD, dataDir };
}
