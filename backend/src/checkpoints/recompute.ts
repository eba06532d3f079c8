import type { Logger } from 'pino';
import type { Arrivals } from '../ingest/arrivals.js';
import { queryDecoded, type DecodedQuery } from '../store/row-decoder.js';
import type { Store } from '../store/store.js';
import type { ResolvedIncident } from './api-types.js';
import type { CheckpointEngine } from './engine.js';
import { earliestOpenIncidentQuery, incidentAtQuery, incidentsDelete, scopeSummaryQuery, type ScopeSummary } from './stored.js';

// Keeps the incidents and checkpoints tables current for analysts: whenever a new window has
// completed, the recent range is computed again (by the same SQL the API runs) and its rows
// replace the range's old ones. A full recompute of any range is the same call.

export interface RecomputeResult {
  from: string;
  to: string;
  incidents: number;
  scopes: number;
  ms: number;
}

export class Recomputer {
  private timer: NodeJS.Timeout | undefined;
  private lastCompleteUntil = -1;
  /** The earliest event time stored for windows already judged, until they are judged again. */
  private lateFromMs: number | undefined;
  private lastLateRunMs = 0;
  private ticking = false;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: CheckpointEngine,
    private readonly store: Store,
    private readonly options: {
      intervalMs: number;
      rangeMs: number;
      logger: Logger;
      /** Event times stored since the last tick: late ones make their windows be judged again. */
      arrivals?: Arrivals;
      /** Told each run's incidents (every scope's, open and resolved), once they are stored: the webhooks. */
      notify?: (incidents: readonly ResolvedIncident[]) => void;
    },
  ) {}

  start(): void {
    // A store that cannot be reached (a server lost mid-run) fails a tick; the next one tries again.
    const tick = () => this.tick().catch((err: Error) => this.options.logger.error({ err: err.message }, 'recomputing incidents and checkpoints failed'));
    this.timer = setInterval(() => void tick(), this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * After a window completed, recomputes what it can change: the last few windows, reaching back
   * to the start of any incident still open. The first tick after a start recomputes the whole
   * recent range. Data stored for windows already judged (late data) has those windows judged
   * again, from the start of any incident they fall in — at most once a window's length, so a
   * device whose clock lags, whose every message is late, costs one pass a window.
   */
  async tick(nowMs: number = Date.now()): Promise<void> {
    // A tick slower than the interval (a large late range) is not overlapped by the next.
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.tickOnce(nowMs);
    } finally {
      this.ticking = false;
    }
  }

  private async tickOnce(nowMs: number): Promise<void> {
    const { completeUntilSeconds } = await this.engine.completeness(nowMs);
    const window = this.engine.windowSeconds;
    const windowEnd = Math.floor(completeUntilSeconds / window) * window;
    const first = this.lastCompleteUntil < 0;
    const arrivedFromMs = this.options.arrivals?.take();
    if (!first && arrivedFromMs !== undefined && arrivedFromMs / 1000 < this.lastCompleteUntil) {
      this.lateFromMs = Math.min(this.lateFromMs ?? arrivedFromMs, arrivedFromMs);
    }
    const late = !first && this.lateFromMs !== undefined && nowMs - this.lastLateRunMs >= window * 1000;
    if (windowEnd === this.lastCompleteUntil && !late) return;
    const rangeFrom = completeUntilSeconds - this.options.rangeMs / 1000;
    let from = rangeFrom;
    if (late) {
      from = Math.floor(this.lateFromMs! / 1000 / window) * window;
      this.options.logger.info({ from: new Date(from * 1000).toISOString() }, 'late data: judging its windows again');
    } else if (!first) {
      const openSince = (await this.earliestIncidentStart(earliestOpenIncidentQuery())) ?? Infinity;
      from = Math.min(openSince, windowEnd - (this.engine.stableWindows + 1) * window);
    }
    if (!first) from = await this.incidentStartAt(Math.max(rangeFrom, from));
    await this.recompute(Math.max(rangeFrom, from), completeUntilSeconds, nowMs, late, completeUntilSeconds);
    // Only once the pass has succeeded: a failed one is tried again by the next tick.
    this.lastCompleteUntil = windowEnd;
    if (late) {
      this.lateFromMs = undefined;
      this.lastLateRunMs = nowMs;
    }
  }

  /** `at`, or the start of the stored incident `at` falls in or directly follows: a range recomputed from inside an incident would cut it in two. */
  private async incidentStartAt(at: number): Promise<number> {
    const start = await this.earliestIncidentStart(incidentAtQuery(Math.floor(at)));
    return start === undefined ? at : Math.min(at, start);
  }

  /** The earliest start (Unix s) of the stored incidents `query` asks for, if any. */
  private async earliestIncidentStart(query: DecodedQuery<{ earliest: number }>): Promise<number | undefined> {
    const [row] = await queryDecoded(this.store, query);
    const start = row?.earliest ?? 0;
    return start > 0 ? start : undefined;
  }

  /**
   * Computes [from, to) (Unix s) for every scope and replaces the range's rows, one run at a time.
   * By default the windows' verdicts are computed again too (late data, changed rules).
   */
  recompute(fromSeconds: number, toSeconds: number, nowMs: number = Date.now(), againFromScratch = true, completeUntil?: number): Promise<RecomputeResult> {
    const run = this.running.then(() => this.compute(fromSeconds, toSeconds, nowMs, againFromScratch, completeUntil));
    this.running = run.catch(() => {});
    return run;
  }

  private async compute(fromSeconds: number, toSeconds: number, nowMs: number, againFromScratch: boolean, completeUntil?: number): Promise<RecomputeResult> {
    const started = performance.now();
    const completeUntilSeconds = completeUntil ?? (await this.engine.completeness(nowMs)).completeUntilSeconds;
    await this.engine.ensureHealth(fromSeconds, Math.min(toSeconds, completeUntilSeconds), againFromScratch);
    const computedAt = new Date(nowMs).toISOString();
    // The scopes, each one's incidents and its checkpoint now are independent questions once the
    // verdicts are stored: they are asked at once (the store runs a few statements at a time).
    const perScope = await Promise.all(this.engine.scopeNames().map(async (scope) => {
      const [details, now] = await Promise.all([
        this.engine.incidents(scope, fromSeconds, toSeconds, completeUntilSeconds).then((incidents) => Promise.all(incidents.map((incident) => this.engine.resolve(incident)))),
        this.engine.checkpoint(scope, completeUntilSeconds),
      ]);
      // Verdicts computed again can move an incident's start: the range's old rows go first. An
      // incremental pass only extends verdicts, so its incidents keep their (scope, start) key.
      if (againFromScratch) {
        await this.store.command(incidentsDelete(scope, Math.floor(fromSeconds), Math.ceil(toSeconds)));
      }
      if (details.length > 0) {
        await this.store.insert(
          'incidents',
          details.map((d) => ({
            id: d.id,
            scope,
            start: d.start,
            end: d.end,
            status: d.status,
            windows: d.windows,
            peak_entities: d.peakEntities,
            first_entity_kind: d.firstBad.entityKind,
            first_entity: d.firstBad.entity,
            first_rules: d.firstBad.rules,
            checkpoint: d.checkpoint.time,
            suspects: d.suspects.map((s) => s.title),
            computed_at: computedAt,
          })),
        );
      }
      await this.store.insert('checkpoints', [
        ...details.map((d) => ({ scope, incident_id: d.id, checkpoint: d.checkpoint.time, state: JSON.stringify(d.checkpoint.state), computed_at: computedAt })),
        { scope, incident_id: '', checkpoint: now.time, state: JSON.stringify(now.state), computed_at: computedAt },
      ]);
      return details;
    }));
    const found = perScope.flat();
    this.options.notify?.(found);
    const ms = performance.now() - started;
    this.options.logger.debug({ incidents: found.length, ms }, 'recomputed incidents and checkpoints');
    return { from: new Date(fromSeconds * 1000).toISOString(), to: new Date(toSeconds * 1000).toISOString(), incidents: found.length, scopes: this.engine.scopeNames().length, ms };
  }

  /** Each scope's open incidents and latest checkpoint, as the recomputes stored them. */
  async summary(): Promise<ScopeSummary[]> {
    return queryDecoded(this.store, scopeSummaryQuery(this.engine.scopeNames()));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
