import Long from 'long';

// The start times of a target's cumulative series (counters, histograms, summaries), as the
// Collector's prometheus receiver reckons them when the exposition has no `_created`: a series
// first seen starts at that point's own time; later points keep that start; a point lower than the
// one before (a counter, or a histogram's or summary's count or sum, went down: the target
// restarted) starts the series again at its own time.

interface Series {
  startNanos: Long;
  previous: readonly number[];
}

export class StartTimes {
  private series = new Map<string, Series>();
  private seen = new Map<string, Series>();

  /**
   * The start time of the point of series `key` at `timeNanos` whose running totals are `totals`
   * (a counter's value; a histogram's or summary's count and sum).
   */
  startOf(key: string, timeNanos: Long, totals: readonly number[]): Long {
    const known = this.seen.get(key) ?? this.series.get(key);
    const reset = known !== undefined && totals.some((total, i) => total < known.previous[i]!);
    const startNanos = known === undefined || reset ? timeNanos : known.startNanos;
    this.seen.set(key, { startNanos, previous: totals });
    return startNanos;
  }

  /** Records a series whose start the target gave (`_created`), so that it counts as seen. */
  given(key: string, startNanos: Long, totals: readonly number[]): void {
    this.seen.set(key, { startNanos, previous: totals });
  }

  /** Ends a scrape: series it did not have are forgotten (if one comes back it starts again). */
  endScrape(): void {
    this.series = this.seen;
    this.seen = new Map();
  }
}
