import { z } from 'zod';
import { attributeValueSchema, checkPatterns, compilePattern, recordMatchSchema } from '../internal/match-properties.js';

const ACTIONS = ['insert', 'update', 'upsert', 'delete', 'hash', 'extract'] as const;

/** One action, with the Collector attributes processor's keys. */
const actionSchema = z
  .strictObject({
    /** The attribute acted on. */
    key: z.string().min(1).optional(),
    /** insert (when absent), update (when present), upsert (both), delete, hash (SHA-256, hex), extract (named groups of `pattern`). */
    action: z.enum(ACTIONS),
    /** The value insert, update and upsert set. */
    value: attributeValueSchema.optional(),
    /** The attribute whose value insert, update and upsert copy. */
    from_attribute: z.string().min(1).optional(),
    /** delete, hash: keys matching it are acted on too; extract: the expression whose named groups become attributes. */
    pattern: z.string().min(1).optional(),
  })
  .superRefine((a, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const sets = a.action === 'insert' || a.action === 'update' || a.action === 'upsert';
    if (sets || a.action === 'extract') {
      if (a.key === undefined) problem('key', `${a.action} needs a key`);
    } else if (a.key === undefined && a.pattern === undefined) problem('key', `${a.action} needs a key or a pattern`);
    if (sets) {
      if ((a.value === undefined) === (a.from_attribute === undefined)) problem('value', `${a.action} needs one of value and from_attribute`);
      if (a.pattern !== undefined) problem('pattern', `${a.action} takes no pattern`);
    } else {
      if (a.value !== undefined) problem('value', `${a.action} takes no value`);
      if (a.from_attribute !== undefined) problem('from_attribute', `${a.action} takes no from_attribute`);
    }
    if (a.pattern === undefined) return;
    checkPatterns([[['pattern'], a.pattern]], ctx);
    if (a.action === 'extract' && !/\(\?P?<[A-Za-z_]/.test(a.pattern)) problem('pattern', 'extract needs a pattern with named groups, e.g. ^(?P<user>\\w+)@');
  })
  .transform((a) => ({ ...a, pattern: a.pattern === undefined ? undefined : compilePattern(a.pattern) }));

export type AttributeAction = z.output<typeof actionSchema>;

/**
 * Which records the actions apply to, with the Collector's MatchProperties keys: match_type,
 * attributes (of the log record or span), resources, and for logs only log_bodies,
 * log_severity_texts, log_severity_number.
 */
const matchSchema = recordMatchSchema({
  resourceAttributes: 'resources',
  recordAttributes: 'attributes',
  bodies: 'log_bodies',
  severityTexts: 'log_severity_texts',
  severityNumber: 'log_severity_number',
}).transform((m) => ({ ...m, logsOnly: m.bodies.length + m.severityTexts.length > 0 || m.severityNumber !== undefined }));

export const attributesConfigSchema = z.strictObject({
  /** Applied in order to the attributes of every record that include/exclude selects. */
  actions: z.array(actionSchema).min(1),
  /** Only records matching this block are acted on. */
  include: matchSchema.optional(),
  /** Records matching this block are left alone. */
  exclude: matchSchema.optional(),
});

export type AttributesConfig = z.output<typeof attributesConfigSchema>;
