import { z } from 'zod';
import { durationMs } from './config-file.js';

/** Retry settings, as in the Collector's retry_on_failure (the agent's exporter, the backend's webhooks). */
export interface BackoffSettings {
  initial_interval: number;
  max_interval: number;
  multiplier: number;
  randomization_factor: number;
}

/**
 * The delay before retry number `attempt` (0 for the first): exponential, capped at
 * max_interval, then spread by ±randomization_factor so agents that failed together do not all
 * come back in the same instant.
 */
export function backoffDelayMs(settings: BackoffSettings, attempt: number, random: () => number = Math.random): number {
  const nominal = Math.min(settings.initial_interval * settings.multiplier ** attempt, settings.max_interval);
  const spread = settings.randomization_factor * nominal;
  return Math.round(nominal - spread + random() * 2 * spread);
}

/** The retry_on_failure keys, with these defaults. */
export const backoffSettingsSchema = (defaults: BackoffSettings) =>
  z.strictObject({
    initial_interval: durationMs.default(defaults.initial_interval),
    max_interval: durationMs.default(defaults.max_interval),
    multiplier: z.number().min(1).default(defaults.multiplier),
    /** Each delay is drawn from ±this fraction around the nominal one. */
    randomization_factor: z.number().min(0).max(1).default(defaults.randomization_factor),
  });
