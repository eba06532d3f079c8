import { DEVICE_EVENT_KINDS } from '@rollpoint/proto';
import { durationMs, endpoint } from '@rollpoint/runtime';
import { z } from 'zod';
import { isKnownTimezone } from './timestamps.js';

const nullAsEmpty = (value: unknown) => (value === null ? {} : value);

const streamLimits = {
  /** Connections open at once; more are refused. */
  max_connections: z.number().int().positive().default(1000),
  /** A connection that sends nothing for this long is closed. */
  idle_timeout: durationMs.default(300000),
};

const udp = z.preprocess(
  nullAsEmpty,
  z.strictObject({
    endpoint: endpoint.default('127.0.0.1:5514'),
    /**
     * Bytes of datagrams the kernel holds while the agent is busy (SO_RCVBUF): what absorbs a burst.
     * The kernel caps it at net.core.rmem_max; what it granted is logged at start and exported as
     * rollpoint_agent_receiver_udp_receive_buffer_bytes.
     */
    receive_buffer_size: z.number().int().min(4096).max(2 ** 31 - 1).default(16 * 1024 * 1024),
  }),
);
const tcp = z.preprocess(nullAsEmpty, z.strictObject({ endpoint: endpoint.default('127.0.0.1:5514'), ...streamLimits }));
const tls = z.preprocess(
  nullAsEmpty,
  z.strictObject({
    endpoint: endpoint.default('127.0.0.1:6514'),
    /** PEM certificate (chain) and key of this receiver. */
    cert_file: z.string().min(1),
    key_file: z.string().min(1),
    /** PEM CA certificates to verify client certificates with. */
    ca_file: z.string().min(1).optional(),
    /** none: no client certificate; request: verify one if sent; require: refuse clients without a valid one. */
    client_auth: z.enum(['none', 'request', 'require']).default('none'),
    ...streamLimits,
  }),
);

const eventRule = z.strictObject({
  kind: z.enum(DEVICE_EVENT_KINDS),
  /** A regular expression tried on "MSGID: message" (or the message when there is no MSGID). */
  match: z.string().transform((pattern, ctx) => {
    try {
      return new RegExp(pattern);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(err as Error).message}` });
      return z.NEVER;
    }
  }),
});

export const syslogConfigSchema = z.preprocess(
  nullAsEmpty,
  z
    .strictObject({
      /** Listeners; a transport left out is off. Default: UDP and TCP on 127.0.0.1:5514. */
      udp: udp.optional(),
      tcp: tcp.optional(),
      tls: tls.optional(),
      /** Longest message kept whole; a longer one is cut there and flagged rollpoint.truncated. */
      max_message_bytes: z.number().int().min(480).max(16 * 1024 * 1024).default(65536),
      /** IANA time zone of timestamps that carry none (RFC 3164). */
      timezone: z
        .string()
        .default('UTC')
        .refine(isKnownTimezone, { message: 'not a time zone (use an IANA name such as Europe/Zurich, or UTC)' }),
      /** Messages waiting for the pipeline before TCP senders are paused and UDP datagrams dropped. */
      max_pending_messages: z.number().int().positive().default(20000),
      /** Classification rules tried before the built-in table. */
      event_rules: z.array(eventRule).default([]),
    })
    .transform((config) =>
      config.udp || config.tcp || config.tls ? config : { ...config, udp: udp.parse({}), tcp: tcp.parse({}) },
    ),
);

export type SyslogConfig = z.output<typeof syslogConfigSchema>;
