import { durationMs } from '@rollpoint/runtime';
import { z } from 'zod';

export const memoryLimiterConfigSchema = z.preprocess(
  (value) => value ?? {},
  z
    .strictObject({
      /** How often the agent's memory (resident set size) is read. */
      check_interval: durationMs.default(1000),
      /** Hard limit in MiB: data is refused well before it (see spike_limit_mib). */
      limit_mib: z.number().positive().default(1024),
      /** Headroom below limit_mib: above limit_mib - spike_limit_mib (the soft limit) data is refused. */
      spike_limit_mib: z.number().nonnegative().default(256),
    })
    .refine((c) => c.spike_limit_mib < c.limit_mib, { message: 'spike_limit_mib must be below limit_mib', path: ['spike_limit_mib'] }),
);

export type MemoryLimiterConfig = z.output<typeof memoryLimiterConfigSchema>;
