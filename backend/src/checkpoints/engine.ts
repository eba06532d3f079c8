import type { Store } from '../store/store.js';
import { DEFAULT_SCOPE, type CheckpointsConfig, type Scope } from './config.js';
import { changesQuery, markerRow, type Marker } from './changes.js';
import { healthDelete, healthInsert, storedHealth } from './health.js';
import { checkpointQuery, incidentsQuery, sourcesQuery, stateQuery, suspectsQuery } from './queries.js';
import { resolveScopes } from './scopes.js';
import { lanesQuery, slowestSpansQuery, topErrorsQuery } from './timeline.js';

// Runs the checkpoint SQL and shapes its answers; every judgement is made by ClickHouse.

export interface Source {
  source: string;
  kind: string;
  watermark: string;
  lastSeen: string;
  stale: boolean;
}

export interface Completeness {
  /** Windows ending at or before this are complete (ISO time). */
  completeUntil: string;
  sources: Source[];
  /** Sources left out of completeness because they went silent. */
  stale: string[];
}

export interface EntityState {
  entityKind: string;
  entity: string;
  /** A service's service.version(s). */
  versions: string[];
  /** A device's last config change before the checkpoint. */
  config?: { time: string; description: string };
}

export interface Checkpoint {
  scope: string;
  /** The end of the last window of the soaked state (ISO time); null when none was found. */
  time: string | null;
  state: EntityState[];
  stableWindows: number;
  windowSeconds: number;
}

export interface Change {
  time: string;
  /** Where it was learnt: telemetry (a version first seen), syslog, snmptrap, api. */
  source: string;
  entityKind: string;
  entity: string;
  kind: string;
  title: string;
  author: string;
  description: string;
  version: string;
  previousVersion: string;
  onFirstBad: boolean;
}

export interface Evidence {
  entityKind: string;
  entity: string;
  rules: string[];
  errorRatio: number;
  p95Ms: number;
  errorLogs: number;
  deviceEvents: Record<string, number>;
  baselines: Record<string, number>;
}

export interface Incident {
  id: string;
  scope: string;
  start: string;
  end: string;
  status: 'open' | 'resolved';
  windows: number;
  peakEntities: number;
  firstBad: Evidence;
}

/** An incident with its checkpoint and suspects. */
export interface ResolvedIncident extends Incident {
  checkpoint: Checkpoint;
  suspects: Change[];
}

export interface IncidentDetail extends ResolvedIncident {
  /** Ranked; each with the windows in which its own entity went bad, and the rules that fired. */
  suspects: Array<Change & { evidence: Array<{ window: string; rules: string[] }> }>;
  /** Per window of the incident (and one on each side), the entities that went bad and why. */
  evidence: Array<{ window: string; bad: Evidence[] }>;
}

/** One entity's judged windows, for the timeline page. */
export interface Lane {
  entityKind: string;
  entity: string;
  windows: Array<{ start: number; spans: number; errorRatio: number; p95Ms: number; logs: number; errorLogs: number; deviceEvents: Record<string, number>; fired: string[] }>;
}

/** What happened in one window of a scope: its top error messages and slowest spans. */
export interface WindowDetail {
  start: string;
  end: string;
  errors: Array<{ message: string; count: number; entities: string[] }>;
  slowest: Array<{ service: string; name: string; durationMs: number; time: string; traceId: string; status: string }>;
}

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();
const isoMs = (ms: number): string => new Date(ms).toISOString();
const toNumber = (value: unknown): number => Number(value);
/** A DateTime as ClickHouse prints it in UTC ("2026-11-30 12:04:00[.000]") as ISO 8601. */
const utcToIso = (value: unknown): string => new Date(`${String(value).replace(' ', 'T')}Z`).toISOString();

/** A ClickHouse Map of numbers (64-bit ones come as text) as numbers. */
const counts = (map: unknown): Record<string, number> => Object.fromEntries(Object.entries((map ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Number(v)]));

function evidence(tuple: unknown[]): Evidence {
  const [entityKind, entity, rules, errorRatio, p95Ms, errorLogs, deviceEvents, baselines] = tuple;
  return {
    entityKind: String(entityKind),
    entity: String(entity),
    rules: rules as string[],
    errorRatio: toNumber(errorRatio),
    p95Ms: toNumber(p95Ms),
    errorLogs: toNumber(errorLogs),
    deviceEvents: counts(deviceEvents),
    baselines: counts(baselines),
  };
}

/** A row of changesQuery or suspectsQuery, which share their columns. */
function toChange([timeMs, entityKind, entity, kind, title, author, description, source, version, previousVersion, onFirstBad]: unknown[]): Change {
  return {
    time: isoMs(toNumber(timeMs)),
    entityKind: String(entityKind),
    entity: String(entity),
    kind: String(kind),
    title: String(title),
    author: String(author),
    description: String(description),
    source: String(source),
    version: String(version),
    previousVersion: String(previousVersion),
    onFirstBad: Boolean(onFirstBad),
  };
}

export class UnknownScopeError extends Error {}

export class CheckpointEngine {
  private readonly scopes: ReadonlyMap<string, Scope | undefined>;

  constructor(
    private readonly store: Store,
    private readonly config: CheckpointsConfig,
  ) {
    this.scopes = resolveScopes(config.scopes);
  }

  private readonly atOtherWindows = new Map<number, CheckpointEngine>();

  /** The same questions judged over windows of `windowMs` (a multiple of the base); this engine when undefined. */
  withWindow(windowMs: number | undefined): CheckpointEngine {
    if (windowMs === undefined || windowMs === this.config.window) return this;
    let engine = this.atOtherWindows.get(windowMs);
    if (!engine) {
      engine = new CheckpointEngine(this.store, { ...this.config, window: windowMs });
      this.atOtherWindows.set(windowMs, engine);
    }
    return engine;
  }

  get windowSeconds(): number {
    return this.config.window / 1000;
  }

  get stableWindows(): number {
    return this.config.stable_windows;
  }

  scopeNames(): string[] {
    return [...this.scopes.keys()];
  }

  private scope(name: string): Scope | undefined {
    if (!this.scopes.has(name)) throw new UnknownScopeError(`unknown scope "${name}" (configured: ${this.scopeNames().join(', ')})`);
    return this.scopes.get(name);
  }

  private align(unixSeconds: number): number {
    return Math.floor(unixSeconds / this.windowSeconds) * this.windowSeconds;
  }

  /** The windows [from, to) (Unix s) whose verdicts window_health holds, as far as this process knows. */
  private covered: { from: number; to: number } | undefined;
  private healthWork: Promise<unknown> = Promise.resolve();

  /**
   * Makes sure window_health holds the verdicts of the windows starting in [from, to), computing
   * what is missing (`force`: all of it again). Callers pass only complete windows.
   */
  ensureHealth(fromSeconds: number, toSeconds: number, force = false): Promise<void> {
    const run = this.healthWork.then(async () => {
      const from = this.align(fromSeconds);
      const to = this.align(toSeconds);
      if (to <= from) return;
      const missing: Array<[number, number]> = [];
      const covered = this.covered;
      if (force || !covered || to < covered.from || from > covered.to) missing.push([from, to]);
      else {
        if (from < covered.from) missing.push([from, covered.from]);
        if (to > covered.to) missing.push([covered.to, to]);
      }
      for (const [a, b] of missing) {
        // Verdicts an earlier run (or a recompute) stored for the range go first.
        await this.store.command(healthDelete(this.windowSeconds, a, b));
        await this.store.command(healthInsert({ ...this.rules(), from: a, to: b }));
      }
      // Only a contiguous range is remembered; a range apart from it replaces it.
      this.covered = covered && !(to < covered.from || from > covered.to) ? { from: Math.min(from, covered.from), to: Math.max(to, covered.to) } : { from, to };
    });
    this.healthWork = run.catch(() => {});
    return run;
  }

  private rules() {
    return { windowSeconds: this.windowSeconds, baselineWindows: this.config.baseline_windows, minEvents: this.config.min_events, minErrors: this.config.min_errors, rules: this.config.rules };
  }

  async completeness(nowMs: number = Date.now()): Promise<Completeness & { completeUntilSeconds: number }> {
    const { rows } = await this.store.query(sourcesQuery(Math.floor(nowMs / 1000), this.config.stale_after / 1000));
    const sources = rows.map(([source, kind, watermark, lastSeen, stale]) => ({ source: String(source), kind: String(kind), watermark: isoMs(toNumber(watermark)), lastSeen: isoMs(toNumber(lastSeen)), stale: Boolean(stale) }));
    const live = rows.length > 0 ? toNumber(rows[0]![6]) : 0;
    // With no live source at all, nothing is in flight that could still arrive: complete up to now.
    const completeUntilMs = live > 0 ? toNumber(rows[0]![5]) : nowMs;
    const completeUntilSeconds = Math.floor(Math.min(completeUntilMs, nowMs) / 1000);
    return { completeUntil: iso(completeUntilSeconds), completeUntilSeconds, sources, stale: sources.filter((s) => s.stale).map((s) => s.source) };
  }

  async incidents(scope: string, fromSeconds: number, toSeconds: number, completeUntilSeconds: number): Promise<Incident[]> {
    const from = this.align(fromSeconds);
    const to = Math.min(this.align(toSeconds) + this.windowSeconds, this.align(completeUntilSeconds));
    await this.ensureHealth(from, to);
    const { rows } = await this.store.query(incidentsQuery({ scope: this.scope(scope), windowSeconds: this.windowSeconds, from, to, completeUntil: completeUntilSeconds }));
    return rows.map(([start, end, windows, firstBad, peak, status]) => ({
      id: `${scope}:${toNumber(start)}`,
      scope,
      start: iso(toNumber(start)),
      end: iso(toNumber(end)),
      status: status as 'open' | 'resolved',
      windows: toNumber(windows),
      peakEntities: toNumber(peak),
      firstBad: evidence(firstBad as unknown[]),
    }));
  }

  /**
   * The checkpoint at or before `beforeSeconds` (aligned down to a window end), with its state.
   * The search looks a few windows back first and widens eightfold until recompute_range: a
   * checkpoint is usually near.
   */
  async checkpoint(scope: string, beforeSeconds: number): Promise<Checkpoint> {
    const widest = Math.ceil(this.config.recompute_range / this.config.window);
    let time: number | undefined;
    const before = this.align(beforeSeconds);
    for (let lookbackWindows = this.config.stable_windows + 8; time === undefined; lookbackWindows *= 8) {
      const windows = Math.min(lookbackWindows, widest);
      await this.ensureHealth(before - windows * this.windowSeconds, before);
      const { rows } = await this.store.query(
        checkpointQuery({ scope: this.scope(scope), windowSeconds: this.windowSeconds, before, stableWindows: this.config.stable_windows, lookbackWindows: windows }),
      );
      if (rows.length > 0) time = toNumber(rows[0]![0]);
      if (windows === widest) break;
    }
    const base = { scope, stableWindows: this.config.stable_windows, windowSeconds: this.windowSeconds };
    if (time === undefined) return { ...base, time: null, state: [] };
    const state = await this.store.query(stateQuery(this.scope(scope), time, this.config.stable_windows * this.windowSeconds));
    return {
      ...base,
      time: iso(time),
      state: state.rows.map(([entityKind, entity, versions, configTime, configDescription]) => ({
        entityKind: String(entityKind),
        entity: String(entity),
        versions: versions as string[],
        ...(entityKind === 'device' ? { config: { time: utcToIso(configTime), description: String(configDescription) } } : {}),
      })),
    };
  }

  /** The checkpoint to roll back to right now: before the latest complete window. */
  async checkpointNow(scope: string, nowMs: number = Date.now()): Promise<Checkpoint & { completeness: Completeness }> {
    const completeness = await this.completeness(nowMs);
    return { ...(await this.checkpoint(scope, completeness.completeUntilSeconds)), completeness };
  }

  async suspects(scope: string, incident: Incident, checkpoint: Checkpoint): Promise<Change[]> {
    const start = Date.parse(incident.start) / 1000;
    const from = checkpoint.time ? Date.parse(checkpoint.time) / 1000 : start - this.config.recompute_range / 1000;
    const { rows } = await this.store.query(
      suspectsQuery(this.scope(scope), { checkpoint: from, start, windowSeconds: this.windowSeconds, firstKind: incident.firstBad.entityKind, firstEntity: incident.firstBad.entity }),
    );
    return rows.map(toChange);
  }

  /** An incident with its checkpoint and suspects. */
  async resolve(incident: Incident): Promise<ResolvedIncident> {
    const checkpoint = await this.checkpoint(incident.scope, Date.parse(incident.start) / 1000);
    return { ...incident, checkpoint, suspects: await this.suspects(incident.scope, incident, checkpoint) };
  }

  /** An incident with its checkpoint, suspects and per-window evidence. */
  async detail(incident: Incident): Promise<IncidentDetail> {
    const resolved = await this.resolve(incident);
    const from = Date.parse(incident.start) / 1000 - this.windowSeconds;
    const to = Date.parse(incident.end) / 1000 + this.windowSeconds;
    const { completeUntilSeconds } = await this.completeness();
    const until = Math.min(to, this.align(completeUntilSeconds));
    await this.ensureHealth(from, until);
    const stored = storedHealth(this.scope(incident.scope));
    const { rows } = await this.store.query({ sql: `${stored.sql} AND length(fired) > 0 ORDER BY window, entity_kind, entity`, params: { ...stored.params, window: this.windowSeconds, from, to: until } });
    const byWindow = new Map<string, Evidence[]>();
    for (const row of rows) {
      const [window, entityKind, entity, , , errorRatio, , p95Ms, , , errorLogs, , deviceEvents, , fired, baselines] = row;
      const key = utcToIso(window);
      byWindow.set(key, [...(byWindow.get(key) ?? []), evidence([entityKind, entity, fired, errorRatio, p95Ms, errorLogs, deviceEvents, baselines])]);
    }
    const perWindow = [...byWindow].map(([window, bad]) => ({ window, bad }));
    const suspects = resolved.suspects.map((suspect) => ({
      ...suspect,
      evidence: perWindow.flatMap(({ window, bad }) => bad.filter((e) => e.entityKind === suspect.entityKind && e.entity === suspect.entity).map((e) => ({ window, rules: e.rules }))),
    }));
    return { ...resolved, suspects, evidence: perWindow };
  }

  /** Changes in a scope, newest first. */
  async changes(scope: string, fromSeconds: number, toSeconds: number, limit: number): Promise<Change[]> {
    const { rows } = await this.store.query(changesQuery(this.scope(scope), Math.floor(fromSeconds), Math.ceil(toSeconds), limit));
    return rows.map(toChange);
  }

  async addMarker(marker: Marker): Promise<void> {
    await this.store.insert('change_events', [markerRow(marker)]);
  }

  /** The judged windows of the scope's entities in [from, to) (Unix s; complete ones only), the most troubled entities first. */
  async lanes(scope: string, fromSeconds: number, toSeconds: number, completeUntilSeconds: number, maxEntities: number): Promise<Lane[]> {
    const from = this.align(fromSeconds);
    const to = Math.min(this.align(toSeconds) + this.windowSeconds, this.align(completeUntilSeconds));
    await this.ensureHealth(from, to);
    const { rows } = await this.store.query(lanesQuery(this.scope(scope), this.windowSeconds, from, to, maxEntities));
    const lanes = new Map<string, Lane>();
    for (const [entityKind, entity, start, spans, errorRatio, p95Ms, logs, errorLogs, deviceEvents, fired] of rows) {
      const key = `${entityKind}\n${entity}`;
      const lane = lanes.get(key) ?? { entityKind: String(entityKind), entity: String(entity), windows: [] };
      lanes.set(key, lane);
      lane.windows.push({
        start: toNumber(start),
        spans: toNumber(spans),
        errorRatio: toNumber(errorRatio),
        p95Ms: toNumber(p95Ms),
        logs: toNumber(logs),
        errorLogs: toNumber(errorLogs),
        deviceEvents: counts(deviceEvents),
        fired: fired as string[],
      });
    }
    return [...lanes.values()];
  }

  /** The window starting at `startSeconds` (aligned down): its top error messages and slowest spans, `limit` of each. */
  async windowDetail(scope: string, startSeconds: number, limit: number): Promise<WindowDetail> {
    const from = this.align(startSeconds);
    const to = from + this.windowSeconds;
    const errors = await this.store.query(topErrorsQuery(this.scope(scope), from, to, limit));
    const slowest = await this.store.query(slowestSpansQuery(this.scope(scope), from, to, limit));
    return {
      start: iso(from),
      end: iso(to),
      errors: errors.rows.map(([message, count, entities]) => ({ message: String(message), count: toNumber(count), entities: entities as string[] })),
      slowest: slowest.rows.map(([service, name, durationMs, timeMs, traceId, status]) => ({
        service: String(service),
        name: String(name),
        durationMs: toNumber(durationMs),
        time: isoMs(toNumber(timeMs)),
        traceId: String(traceId),
        status: String(status),
      })),
    };
  }

  /** Finds an incident by id ("<scope>:<start unix s>") in the recompute range. */
  async findIncident(id: string, nowMs: number = Date.now()): Promise<Incident | undefined> {
    const separator = id.lastIndexOf(':');
    const scope = id.slice(0, separator);
    const start = Number(id.slice(separator + 1));
    if (separator < 0 || !Number.isInteger(start)) return undefined;
    const { completeUntilSeconds } = await this.completeness(nowMs);
    const incidents = await this.incidents(scope, start, completeUntilSeconds, completeUntilSeconds);
    return incidents.find((incident) => incident.id === id);
  }
}

export { DEFAULT_SCOPE };
