// The constants the materialized views and the checkpoint queries must agree on. Both the DDL of
// entity_windows (migration 3) and the checkpoint SQL read them, so changing one changes a released
// migration: schema.test.ts fails, and the change has to be a new migration.

/**
 * Every signal is aligned at insert time into windows of this many seconds per entity, so health
 * is computed from small tables and the raw ones are never rescanned; a larger window is a roll-up
 * of base windows.
 */
export const BASE_WINDOW_SECONDS = 10;

/**
 * Latency values kept per window (a uniform sample) for the Mann-Whitney rule. 32 against the
 * baseline's 80 finds a doubled median at p far below 0.001, and merging samples is a large part of
 * a recompute's cost (measured: a 100-value sample cost a day's recompute about 3 s at 10 M spans).
 */
export const LATENCY_SAMPLE_SIZE = 32;
