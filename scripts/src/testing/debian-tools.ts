import { existsSync } from 'node:fs';

// The Debian tools some tests drive (real clients and servers nobody here wrote). Where one is
// missing, its tests skip, naming it and its package, and the run ends with one line saying what
// was skipped and the apt-get install that would run it; under CI (whose .ci/run installs them all)
// a missing tool fails the test instead, so the interop tests cannot silently not run.

export interface DebianTool {
  /** What the tests use, as a person would name it. */
  name: string;
  /** A file the package installs. */
  path: string;
  package: string;
}

export const RSYSLOGD: DebianTool = { name: 'rsyslogd', path: '/usr/sbin/rsyslogd', package: 'rsyslog' };
export const RSYSLOG_TLS: DebianTool = { name: "rsyslog's TLS driver (gtls)", path: '/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', package: 'rsyslog-gnutls' };
export const SNMPTRAP: DebianTool = { name: 'snmptrap', path: '/usr/bin/snmptrap', package: 'snmp' };
export const CLICKHOUSE_SERVER: DebianTool = { name: 'clickhouse-server', path: '/usr/sbin/clickhouse-server', package: 'clickhouse-server' };
export const CHROMIUM: DebianTool = { name: 'chromium', path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', package: 'chromium' };
export const DOCKER_COMPOSE: DebianTool = { name: 'docker-compose', path: '/usr/bin/docker-compose', package: 'docker-compose' };
export const OPENSSL: DebianTool = { name: 'openssl', path: '/usr/bin/openssl', package: 'openssl' };
export const LOGGER: DebianTool = { name: 'logger', path: '/usr/bin/logger', package: 'bsdutils' };
export const CURL: DebianTool = { name: 'curl', path: '/usr/bin/curl', package: 'curl' };
export const SYSTEMD_ANALYZE: DebianTool = { name: 'systemd-analyze', path: '/usr/bin/systemd-analyze', package: 'systemd' };
export const JOURNALCTL: DebianTool = { name: 'journalctl', path: '/usr/bin/journalctl', package: 'systemd' };
export const SYSTEMD_JOURNAL_REMOTE: DebianTool = { name: 'systemd-journal-remote', path: '/usr/lib/systemd/systemd-journal-remote', package: 'systemd-journal-remote' };
export const LOGROTATE: DebianTool = { name: 'logrotate', path: '/usr/sbin/logrotate', package: 'logrotate' };

/** Every tool of the full suite: the README's list of packages, and .ci/run's. */
export const DEBIAN_TOOLS: readonly DebianTool[] = [RSYSLOGD, RSYSLOG_TLS, SNMPTRAP, CLICKHOUSE_SERVER, CHROMIUM, DOCKER_COMPOSE, OPENSSL, LOGGER, CURL, SYSTEMD_ANALYZE, JOURNALCTL, SYSTEMD_JOURNAL_REMOTE, LOGROTATE];

export const installed = (tool: DebianTool): boolean => existsSync(tool.path);

/** Tests skipped here for want of a tool, by tool. */
export const skipped = new Map<DebianTool, string[]>();

/** Skips `test` (a test, or a hook's context) unless every tool is installed; fails instead under CI. */
export function requireTools(test: Mocha.Context, ...tools: DebianTool[]): void {
  const missing = tools.filter((tool) => !installed(tool));
  if (missing.length === 0) return;
  const what = missing.map((tool) => `${tool.name} (Debian package ${tool.package})`).join(', ');
  if (process.env.CI) throw new Error(`${what} missing: .ci/run installs it`);
  const title = test.currentTest?.fullTitle() ?? test.test?.parent?.fullTitle() ?? test.test?.fullTitle() ?? 'a test';
  for (const tool of missing) skipped.set(tool, [...(skipped.get(tool) ?? []), title]);
  test.skip();
}

/** The run's closing line about what was skipped, or undefined when nothing was. */
export function skippedSummary(): string | undefined {
  if (skipped.size === 0) return undefined;
  const tools = [...skipped.entries()].map(([tool, titles]) => `${tool.name} (${new Set(titles).size} skipped: ${[...new Set(titles)].join('; ')})`);
  return `skipped, for want of Debian tools not installed here: ${tools.join(', ')}. To run them: apt-get install -y ${[...new Set([...skipped.keys()].map((t) => t.package))].join(' ')}`;
}
