import { z } from 'zod';
import { recordMatchSchema } from '../internal/match-properties.js';

/**
 * One include or exclude block for logs, with the Collector filter processor's (pre-OTTL) keys:
 * match_type, resource_attributes, record_attributes, severity_texts, severity_number, bodies.
 */
const logMatchSchema = recordMatchSchema({
  resourceAttributes: 'resource_attributes',
  recordAttributes: 'record_attributes',
  bodies: 'bodies',
  severityTexts: 'severity_texts',
  severityNumber: 'severity_number',
});

export const filterConfigSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({
    logs: z
      .strictObject({
        /** Only log records matching this block are kept. */
        include: logMatchSchema.optional(),
        /** Log records matching this block are dropped (after include). */
        exclude: logMatchSchema.optional(),
        /** The Collector's OTTL conditions: not supported here. */
        log_record: z.unknown().refine((v) => v === undefined, 'OTTL conditions are not supported: use logs.include / logs.exclude').optional(),
      })
      .prefault({}),
  }),
);

export type FilterConfig = z.output<typeof filterConfigSchema>;
