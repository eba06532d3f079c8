import { z } from 'zod';
import { attributeMatchSchema, refineRecordMatch, severityMatchSchema, type RecordMatch } from '../internal/match-properties.js';

/** One include or exclude block for logs, with the Collector filter processor's (pre-OTTL) keys. */
const logMatchSchema = z
  .strictObject({
    /** How strings are compared: exactly, or as regular expressions found anywhere in the text. */
    match_type: z.enum(['strict', 'regexp']),
    /** Resource attributes that must all match. */
    resource_attributes: z.array(attributeMatchSchema).default([]),
    /** Log record attributes that must all match. */
    record_attributes: z.array(attributeMatchSchema).default([]),
    /** SeverityText values, one of which must match. */
    severity_texts: z.array(z.string()).default([]),
    /** The lowest severity that matches. */
    severity_number: severityMatchSchema.optional(),
    /** String bodies, one of which must match. */
    bodies: z.array(z.string()).default([]),
  })
  .transform(
    (block): RecordMatch => ({
      matchType: block.match_type,
      resourceAttributes: block.resource_attributes,
      recordAttributes: block.record_attributes,
      bodies: block.bodies,
      severityTexts: block.severity_texts,
      ...(block.severity_number ? { severityNumber: block.severity_number } : {}),
    }),
  )
  .superRefine(
    refineRecordMatch({ resourceAttributes: 'resource_attributes', recordAttributes: 'record_attributes', bodies: 'bodies', severityTexts: 'severity_texts', severityNumber: 'severity_number' }),
  );

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
