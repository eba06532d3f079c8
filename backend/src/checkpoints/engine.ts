import { queryDecoded } from '../store/row-decoder.js';
import type { Store } from '../store/store.js';
import type { Change, Checkpoint, Completeness, ConfigRevision, EntityState, Evidence, Incident, IncidentDetail, Lane, ResolvedIncident, Suspect, WindowDetail } from './api-types.js';
import { DEFAULT_SCOPE, type CheckpointsConfig, type Scope } from './config.js';
import { changesQuery, changesSource, markerRow, storedCommitQuery, type Marker } from './changes.js';
import { badVerdictsQuery } from './health.js';
import { suspectEvidence } from './explain.js';
import { checkpointQuery, incidentsQuery, sourcesQuery, stateQuery } from './queries.js';
import { resolveScopes } from './scopes.js';
import { evidenceQuery, suspectsQuery } from './suspects.js';
import { lanesQuery, slowestSpansQuery, topErrorsQuery } from './timeline.js';
import { WindowHealthCache } from './window-health-cache.js';

// Runs the checkpoint SQL and shapes its answers; every judgement is made by ClickHouse.

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();

/** The suspects' evidence looks at the incident's first windows: what started it, at a bounded cost. */
const EVIDENCE_WINDOWS = 10;
/** And at the spans of at most this many windows before it: the state the changes replaced. */
const SPAN_WINDOWS_BEFORE = 60;

export class UnknownScopeError extends Error {}

/** The unified diff between two revisions of a device's config, read from the config repository. */
export type ConfigDiffer = (from: ConfigRevision, to: ConfigRevision) => Promise<string>;

export class CheckpointEngine {
  private readonly scopes: ReadonlyMap<string, Scope | undefined>;
  private readonly health: WindowHealthCache;

  constructor(
    private readonly store: Store,
    private readonly config: CheckpointsConfig,
    /** Where a config repository is read: the diffs from each device's revision to restore to its current config. */
    private readonly configDiff?: ConfigDiffer,
    /** The other names and the addresses of each configured device (`devices:`), by its name: what spans may call it. */
    private readonly deviceAliases: Readonly<Record<string, readonly string[]>> = {},
  ) {
    this.scopes = resolveScopes(config.scopes);
    this.health = new WindowHealthCache(store, {
      windowSeconds: this.windowSeconds,
      baselineWindows: config.baseline_windows,
      minEvents: config.min_events,
      minErrors: config.min_errors,
      rules: config.rules,
    });
  }

  private readonly atOtherWindows = new Map<number, CheckpointEngine>();
  /** Whether a config commit was seen stored: once one is, they stay (config_commits has no TTL). */
  private commitsStored = false;

  /** Whether config_commits holds a commit: asked again until it does. */
  private async commitsAreStored(): Promise<boolean> {
    if (!this.commitsStored) this.commitsStored = ((await queryDecoded(this.store, storedCommitQuery))[0]?.stored ?? 0) > 0;
    return this.commitsStored;
  }

  /** Where this statement's changes are read (changesSource). */
  private async whereChanges(): Promise<string> {
    return changesSource(await this.commitsAreStored());
  }

  /** The same questions judged over windows of `windowMs` (a multiple of the base); this engine when undefined. */
  withWindow(windowMs: number | undefined): CheckpointEngine {
    if (windowMs === undefined || windowMs === this.config.window) return this;
    let engine = this.atOtherWindows.get(windowMs);
    if (!engine) {
      engine = new CheckpointEngine(this.store, { ...this.config, window: windowMs }, this.configDiff, this.deviceAliases);
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

  /**
   * Makes sure window_health holds the verdicts of the windows starting in [from, to), computing
   * what is missing (`force`: all of it again). Callers pass only complete windows.
   */
  ensureHealth(fromSeconds: number, toSeconds: number, force = false): Promise<void> {
    return this.health.ensure(this.align(fromSeconds), this.align(toSeconds), force);
  }

  async completeness(nowMs: number = Date.now()): Promise<Completeness & { completeUntilSeconds: number }> {
    const rows = await queryDecoded(this.store, sourcesQuery(Math.floor(nowMs / 1000), this.config.stale_after / 1000));
    const sources = rows.map(({ completeUntilMs: _, liveSources: __, ...source }) => source);
    // With no live source at all, nothing is in flight that could still arrive: complete up to now.
    const completeUntilMs = (rows[0]?.liveSources ?? 0) > 0 ? rows[0]!.completeUntilMs : nowMs;
    const completeUntilSeconds = Math.floor(Math.min(completeUntilMs, nowMs) / 1000);
    return { completeUntil: iso(completeUntilSeconds), completeUntilSeconds, sources, stale: sources.filter((s) => s.stale).map((s) => s.source) };
  }

  async incidents(scope: string, fromSeconds: number, toSeconds: number, completeUntilSeconds: number): Promise<Incident[]> {
    const from = this.align(fromSeconds);
    const to = Math.min(this.align(toSeconds) + this.windowSeconds, this.align(completeUntilSeconds));
    await this.ensureHealth(from, to);
    return queryDecoded(this.store, incidentsQuery({ scope: this.scope(scope), scopeName: scope, windowSeconds: this.windowSeconds, from, to, completeUntil: completeUntilSeconds }));
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
    const commitsStored = await this.commitsAreStored();
    const changes = changesSource(commitsStored);
    for (let lookbackWindows = this.config.stable_windows + 8; time === undefined; lookbackWindows *= 8) {
      const windows = Math.min(lookbackWindows, widest);
      await this.ensureHealth(before - windows * this.windowSeconds, before);
      const [found] = await queryDecoded(
        this.store,
        checkpointQuery({ scope: this.scope(scope), windowSeconds: this.windowSeconds, before, stableWindows: this.config.stable_windows, lookbackWindows: windows, changes }),
      );
      time = found?.checkpoint;
      if (windows === widest) break;
    }
    const base = { scope, stableWindows: this.config.stable_windows, windowSeconds: this.windowSeconds };
    if (time === undefined) return { ...base, time: null, state: [] };
    const state = await queryDecoded(this.store, stateQuery(this.scope(scope), time, this.config.stable_windows * this.windowSeconds, commitsStored));
    return { ...base, time: iso(time), state: await this.withConfigDiffs(state) };
  }

  /** Each device's state with the diff from its revision to restore to its current config, where the repository can be read. */
  private async withConfigDiffs(state: EntityState[]): Promise<EntityState[]> {
    const differ = this.configDiff;
    if (differ === undefined) return state;
    return Promise.all(
      state.map(async (entity) => {
        const { revision, current } = entity.config ?? {};
        if (!entity.config || !revision || !current) return entity;
        // A blob this repository lacks (another backend's repository, history rewritten) leaves the diff out.
        const diff = await differ(revision, current).catch(() => undefined);
        return diff === undefined ? entity : { ...entity, config: { ...entity.config, diff } };
      }),
    );
  }

  /** The checkpoint to roll back to right now: before the latest complete window. */
  async checkpointNow(scope: string, nowMs: number = Date.now()): Promise<Checkpoint & { completeness: Completeness }> {
    const completeness = await this.completeness(nowMs);
    return { ...(await this.checkpoint(scope, completeness.completeUntilSeconds)), completeness };
  }

  /** The changes since the checkpoint, ranked by the evidence against them (SQL), with that evidence in words. */
  async suspects(scope: string, incident: Incident, checkpoint: Checkpoint): Promise<Suspect[]> {
    const start = Date.parse(incident.start) / 1000;
    const from = checkpoint.time ? Date.parse(checkpoint.time) / 1000 : start - this.config.recompute_range / 1000;
    const options = { checkpoint: from, start, windowSeconds: this.windowSeconds, firstKind: incident.firstBad.entityKind, firstEntity: incident.firstBad.entity, changes: await this.whereChanges() };
    const changes = await queryDecoded(this.store, suspectsQuery(this.scope(scope), options));
    if (changes.length === 0) return [];
    const until = Math.min(Date.parse(incident.end) / 1000, start + EVIDENCE_WINDOWS * this.windowSeconds);
    const spansFrom = Math.max(from - this.config.stable_windows * this.windowSeconds, start - SPAN_WINDOWS_BEFORE * this.windowSeconds);
    const ranked = await queryDecoded(this.store, evidenceQuery(this.scope(scope), changes, { ...options, until, spansFrom, topology: this.config.topology, deviceAliases: this.deviceAliases }));
    return ranked.map(({ index, score, facts }) => {
      const change = changes[index]!;
      return { ...change, score, evidenceLines: suspectEvidence(change, facts, incident), hosts: facts.versionHosts };
    });
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
    const byWindow = new Map<string, Evidence[]>();
    for (const { window, evidence } of await queryDecoded(this.store, badVerdictsQuery(this.scope(incident.scope), this.windowSeconds, from, until))) {
      byWindow.set(window, [...(byWindow.get(window) ?? []), evidence]);
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
    return queryDecoded(this.store, changesQuery(this.scope(scope), await this.whereChanges(), Math.floor(fromSeconds), Math.ceil(toSeconds), limit));
  }

  async addMarker(marker: Marker): Promise<void> {
    await this.store.insert('change_events', [markerRow(marker)]);
  }

  /** The judged windows of the scope's entities in [from, to) (Unix s; complete ones only), the most troubled entities first. */
  async lanes(scope: string, fromSeconds: number, toSeconds: number, completeUntilSeconds: number, maxEntities: number): Promise<Lane[]> {
    const from = this.align(fromSeconds);
    const to = Math.min(this.align(toSeconds) + this.windowSeconds, this.align(completeUntilSeconds));
    await this.ensureHealth(from, to);
    const lanes = new Map<string, Lane>();
    for (const { entityKind, entity, ...window } of await queryDecoded(this.store, lanesQuery(this.scope(scope), this.config.rules, this.windowSeconds, from, to, maxEntities))) {
      const key = `${entityKind}\n${entity}`;
      const lane = lanes.get(key) ?? { entityKind, entity, windows: [] };
      lanes.set(key, lane);
      lane.windows.push(window);
    }
    return [...lanes.values()];
  }

  /** The window starting at `startSeconds` (aligned down): its top error messages and slowest spans, `limit` of each. */
  async windowDetail(scope: string, startSeconds: number, limit: number): Promise<WindowDetail> {
    const from = this.align(startSeconds);
    const to = from + this.windowSeconds;
    const errors = await queryDecoded(this.store, topErrorsQuery(this.scope(scope), from, to, limit));
    const slowest = await queryDecoded(this.store, slowestSpansQuery(this.scope(scope), from, to, limit));
    return { start: iso(from), end: iso(to), errors, slowest };
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
