import { DEVICE_EVENT_KINDS } from '@rollpoint/proto';
import { endpoint } from '@rollpoint/runtime';
import { z } from 'zod';

const user = z
  .strictObject({
    /** The USM user name (snmp.security_name on its traps). */
    name: z.string().min(1),
    auth_protocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).optional(),
    auth_key: z.string().min(8, 'must be at least 8 characters (RFC 3414)').optional(),
    priv_protocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']).optional(),
    priv_key: z.string().min(8, 'must be at least 8 characters (RFC 3414)').optional(),
  })
  .refine((u) => (u.auth_protocol === undefined) === (u.auth_key === undefined), 'auth_protocol and auth_key go together')
  .refine((u) => (u.priv_protocol === undefined) === (u.priv_key === undefined), 'priv_protocol and priv_key go together')
  .refine((u) => u.priv_protocol === undefined || u.auth_protocol !== undefined, 'privacy needs authentication (authPriv)');

export const snmptrapConfigSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({
    /** UDP address for traps and informs (162 needs the privilege to bind it). */
    endpoint: endpoint.default('127.0.0.1:1162'),
    /** v1/v2c communities accepted; empty accepts any community. */
    communities: z.array(z.string().min(1)).default([]),
    /** SNMPv3 USM users (noAuthNoPriv, authNoPriv or authPriv, from which keys are given). */
    users: z.array(user).default([]),
    /** This receiver's SNMPv3 engine ID (hex), which v3 informs are sent to; default: a random one. */
    engine_id: z.string().regex(/^([0-9a-fA-F]{2}){5,32}$/, 'must be 5 to 32 bytes of hex').optional(),
    /** A folder of MIB files (loaded at start and whenever it changes) naming vendor traps and objects. */
    mib_folder: z.string().min(1).optional(),
    /** host.name from the reverse DNS name of the agent address, when it has one and no device name was learned for it. */
    reverse_lookup: z.boolean().default(false),
    /** Severity by trap name or OID, e.g. {ciscoConfigManEvent: warn}; default warn for linkDown and authenticationFailure, info otherwise. */
    severities: z.record(z.string(), z.enum(['debug', 'info', 'warn', 'error', 'fatal'])).default({}),
    /** rollpoint.event.kind by trap name or OID, added to the built-in ones. */
    event_kinds: z.record(z.string(), z.enum(DEVICE_EVENT_KINDS)).default({}),
    /** Traps waiting for the pipeline before more are dropped (counted). */
    max_pending_messages: z.number().int().positive().default(20000),
  }),
);

export type SnmptrapConfig = z.output<typeof snmptrapConfigSchema>;
