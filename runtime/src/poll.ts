import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Asks `check` until it answers something else than undefined, and resolves with that: the first
 * wait between two asks is `initialMs`, each next one twice as long, up to `maxMs`. A check that
 * throws ends it. For what only polling can see: an ASYNC backup, a mutation, a catalogue entry.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, { initialMs, maxMs }: { initialMs: number; maxMs: number }): Promise<T> {
  for (let delayMs = initialMs; ; delayMs = Math.min(delayMs * 2, maxMs)) {
    const answer = await check();
    if (answer !== undefined) return answer;
    await sleep(delayMs);
  }
}
