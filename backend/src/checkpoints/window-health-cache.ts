import type { Store } from '../store/store.js';
import { queryDecoded } from '../store/row-decoder.js';
import { healthDelete, healthInsert, healthStoredQuery, type HealthQueryOptions } from './health.js';
import { metricMeasures, metricsStoredQuery } from './metric-rules.js';

// Which windows' verdicts window_health holds, as far as this process knows: the scope questions
// read stored verdicts, and each range is judged once rather than on every question.

/** What judging a range needs besides the range itself. */
export type JudgingOptions = Omit<HealthQueryOptions, 'scope' | 'from' | 'to' | 'metricsStored' | 'baselinesStored'>;

export class WindowHealthCache {
  /** The windows [from, to) (Unix s) whose verdicts window_health holds. */
  private covered: { from: number; to: number } | undefined;
  private work: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly judging: JudgingOptions,
  ) {}

  /**
   * Makes sure window_health holds the verdicts of the windows starting in [from, to) (Unix s,
   * window-aligned), computing what is missing (`force`: all of it again). Callers pass only
   * complete windows.
   */
  ensure(from: number, to: number, force = false): Promise<void> {
    const run = this.work.then(async () => {
      if (to <= from) return;
      const missing: Array<[number, number]> = [];
      const covered = this.covered;
      if (force || !covered || to < covered.from || from > covered.to) missing.push([from, to]);
      else {
        if (from < covered.from) missing.push([from, covered.from]);
        if (to > covered.to) missing.push([covered.to, to]);
      }
      for (const [a, b] of missing) {
        // Verdicts an earlier run (or a recompute) stored for the range go first. A window that has
        // just completed has none, and a lightweight delete costs a pass over the day's part even then.
        // Without metrics in the range (no host metrics collected), the statement is spared the metric rollup.
        const { windowSeconds, baselineWindows } = this.judging;
        const [[{ stored } = { stored: 0 }], metricsStored] = await Promise.all([
          queryDecoded(this.store, healthStoredQuery(windowSeconds, a, b)),
          metricMeasures(this.judging.rules).size === 0 || queryDecoded(this.store, metricsStoredQuery(windowSeconds, baselineWindows, a, b)).then(([row]) => (row?.stored ?? 0) > 0),
        ]);
        if (stored > 0) await this.store.command(healthDelete(windowSeconds, a, b));
        // A range extending the covered one forward, far enough back for its baselines (a tick), reads them from window_health.
        const baselinesStored = !force && covered !== undefined && a === covered.to && covered.from <= a - baselineWindows * windowSeconds;
        await this.store.command(healthInsert({ ...this.judging, from: a, to: b, metricsStored, baselinesStored }));
      }
      // Only a contiguous range is remembered; a range apart from it replaces it.
      this.covered = covered && !(to < covered.from || from > covered.to) ? { from: Math.min(from, covered.from), to: Math.max(to, covered.to) } : { from, to };
    });
    this.work = run.catch(() => {});
    return run;
  }
}
