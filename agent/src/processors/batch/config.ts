import { durationMs } from '@rollpoint/runtime';
import { z } from 'zod';

export const batchConfigSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({
    /** Spans or log records that make a batch; reaching it sends at once. */
    send_batch_size: z.number().int().positive().default(8192),
    /** Longest a record waits for its batch to fill before it is sent anyway. */
    timeout: durationMs.default(200),
  }),
);

export type BatchConfig = z.output<typeof batchConfigSchema>;
