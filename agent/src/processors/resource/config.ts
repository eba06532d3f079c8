import { hostname } from 'node:os';
import { z } from 'zod';

export const resourceConfigSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({
    /** host.name for resources that have none (an application's own host.name is kept). */
    host_name: z.string().min(1).default(hostname()),
    /** More resource attributes to set, overwriting what the sender set. */
    attributes: z.record(z.string(), z.string()).default({}),
  }),
);

export type ResourceConfig = z.output<typeof resourceConfigSchema>;
