import type { z } from 'zod';
import { buildMetric, byDirection, type MetricSpec } from '../internal/metric-spec.js';
import { filterSet, nameFilter } from '../internal/name-filter.js';
import { scraperConfig, tableRows, type ScraperFactory } from '../internal/scraper.js';

// system.network.* per interface from /proc/net/dev, and TCP connections by state from
// /proc/net/tcp and tcp6.

const counter = (name: string, description: string, unit: string): MetricSpec => ({ name: `system.network.${name}`, description, unit, kind: 'monotonic_sum', valueType: 'int' });
const NETWORK_IO = counter('io', 'The number of bytes transmitted and received.', 'By');
const NETWORK_PACKETS = counter('packets', 'The number of packets transferred.', '{packets}');
const NETWORK_ERRORS = counter('errors', 'The number of errors encountered.', '{errors}');
const NETWORK_DROPPED = counter('dropped', 'The number of packets dropped.', '{packets}');
const NETWORK_CONNECTIONS: MetricSpec = { name: 'system.network.connections', description: 'The number of connections.', unit: '{connections}', kind: 'sum', valueType: 'int' };
const METRICS = [NETWORK_IO, NETWORK_PACKETS, NETWORK_ERRORS, NETWORK_DROPPED, NETWORK_CONNECTIONS];

const configSchema = scraperConfig(METRICS, {
  include: filterSet('interfaces').optional(),
  exclude: filterSet('interfaces').optional(),
});

/** One interface's counters from /proc/net/dev: [bytes, packets, errs, drop] received and transmitted. */
export interface InterfaceStats {
  device: string;
  receive: number[];
  transmit: number[];
}

export function parseNetDev(text: string): InterfaceStats[] {
  // Two header lines, then "  eth0: rx bytes packets errs drop fifo frame compressed multicast tx bytes packets errs drop …".
  return tableRows(text.replace(/:/g, ': '), 2)
    .filter((fields) => fields.length >= 17)
    .map((fields) => ({ device: fields[0]!.replace(/:$/, ''), receive: fields.slice(1, 5).map(Number), transmit: fields.slice(9, 13).map(Number) }));
}

// The kernel's TCP states (include/net/tcp_states.h) as the st column of /proc/net/tcp writes them.
const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT_1',
  '05': 'FIN_WAIT_2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** Connections by state (every state, zero or not, as the Collector) from /proc/net/tcp files. */
export function countTcpStates(files: readonly string[]): Map<string, number> {
  const counts = new Map(Object.values(TCP_STATES).map((state) => [state, 0]));
  for (const text of files) {
    for (const fields of tableRows(text, 1)) {
      const state = TCP_STATES[fields[3]!];
      if (state) counts.set(state, counts.get(state)! + 1);
    }
  }
  return counts;
}

export const networkScraper: ScraperFactory<z.output<typeof configSchema>> = {
  metrics: METRICS,
  configSchema,
  create: (config, host) => {
    const included = nameFilter('interfaces', config.include, config.exclude);
    return {
      async scrape(times) {
        const interfaces = parseNetDev(await host.proc('net/dev')).filter((i) => included(i.device));
        // A host without IPv6 has no tcp6.
        const tcp = await Promise.all([host.proc('net/tcp'), host.proc('net/tcp6').catch(() => '')]);
        const column = (index: number) => interfaces.flatMap((i) => byDirection(i.device, { receive: i.receive[index]!, transmit: i.transmit[index]! }));
        const connections = [...countTcpStates(tcp)].map(([state, value]) => ({ value, attributes: { protocol: 'tcp', state } }));
        return [
          buildMetric(NETWORK_IO, column(0), times),
          buildMetric(NETWORK_PACKETS, column(1), times),
          buildMetric(NETWORK_ERRORS, column(2), times),
          buildMetric(NETWORK_DROPPED, column(3), times),
          buildMetric(NETWORK_CONNECTIONS, connections, times),
        ];
      },
    };
  },
};
