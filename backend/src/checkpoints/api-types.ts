// What the checkpoint engine answers: the shapes the API, the CLI, the webhooks and the UI share.

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
  /** A device's last config change before the checkpoint; with a config repository, the revision to restore and what changed since. */
  config?: DeviceConfigState;
}

/** A commit of the config repository that changed a device's config. */
export interface ConfigRevision {
  commit: string;
  time: string;
  author: string;
  message: string;
  /** The device's file in the repository, and its blob at the commit. */
  path: string;
  blob: string;
}

export interface DeviceConfigState {
  time: string;
  description: string;
  /** The device's last commit before the checkpoint: the config to restore. */
  revision?: ConfigRevision;
  /** The device's latest commit: its config now. */
  current?: ConfigRevision;
  /** A unified diff from the revision to the current config, '' when they are the same; absent where this backend cannot read the repository. */
  diff?: string;
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

/** A change since the checkpoint, with the evidence against it. */
export interface Suspect extends Change {
  /** Higher is stronger evidence; suspects come best first (README, "How it decides"). */
  score: number;
  /** The evidence behind the score, in words: "of b's 60 failing or slow spans in the incident, 100 % ran through a 9.1.0". */
  evidenceLines: string[];
  /** A deploy: the hosts its version ran on (a canary's few). */
  hosts: string[];
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
  /** The values of the metric rules that fired, by measure: `{"max(system.filesystem.utilization)": 0.97}`. */
  metrics: Record<string, number>;
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
  /** Ranked by evidence, best first. */
  suspects: Suspect[];
}

export interface IncidentDetail extends ResolvedIncident {
  /** Ranked; each with the windows in which its own entity went bad, and the rules that fired. */
  suspects: Array<Suspect & { evidence: Array<{ window: string; rules: string[] }> }>;
  /** Per window of the incident (and one on each side), the entities that went bad and why. */
  evidence: Array<{ window: string; bad: Evidence[] }>;
}

/** One entity's judged windows, for the timeline page. */
export interface Lane {
  entityKind: string;
  entity: string;
  windows: Array<{ start: number; spans: number; errorRatio: number; p95Ms: number; logs: number; errorLogs: number; deviceEvents: Record<string, number>; fired: string[]; metrics: Record<string, number> }>;
}

/** What happened in one window of a scope: its top error messages and slowest spans. */
export interface WindowDetail {
  start: string;
  end: string;
  errors: Array<{ message: string; count: number; entities: string[] }>;
  slowest: Array<{ service: string; name: string; durationMs: number; time: string; traceId: string; status: string }>;
}
