import type { DeviceEventKind } from '@rollpoint/proto';
import type { Change, Checkpoint, EntityState, Evidence, Incident, ResolvedIncident, Suspect } from './api-types.js';
import type { SuspectFacts } from './suspects.js';

// The readable story of an incident, for `rollpoint explain` and the API: presentation only; every
// fact in it was computed by the checkpoint SQL.

const RULE_WORDS: Record<string, string> = {
  error_ratio: 'span error ratio',
  p50_ms: 'p50 latency',
  p95_ms: 'p95 latency',
  p99_ms: 'p99 latency',
  error_log_ratio: 'error log ratio',
};

const time = (iso: string): string => iso.slice(11, 19);
const percent = (ratio: number): string => `${(ratio * 100).toFixed(ratio < 0.01 ? 1 : 0)} %`;
/** A metric's value in three significant digits: 0.97, 1.23e+6. */
const significant = (value: number): string => String(Number(value.toPrecision(3)));

/** Why the first entity went bad, from its evidence: "span error ratio 23 % vs baseline 0.4 %", "max(system.filesystem.utilization) 0.97". */
export function reason(evidence: Evidence): string {
  const parts: string[] = [];
  const baseline = (metric: string, format: (n: number) => string): string => (metric in evidence.baselines ? ` vs baseline ${format(evidence.baselines[metric]!)}` : '');
  const rules = evidence.rules.join(' ');
  if (/error_ratio/.test(rules)) parts.push(`${RULE_WORDS.error_ratio} ${percent(evidence.errorRatio)}${baseline('error_ratio', percent)}`);
  if (/p95|latency/.test(rules)) parts.push(`p95 latency ${Math.round(evidence.p95Ms)} ms${baseline('p95_ms', (n) => `${Math.round(n)} ms`)}`);
  for (const [kind, count] of Object.entries(evidence.deviceEvents)) if (evidence.rules.some((r) => r.includes(kind))) parts.push(`${count} × ${kind}`);
  for (const [measure, value] of Object.entries(evidence.metrics)) parts.push(`${measure} ${significant(value)}${baseline(measure, significant)}`);
  if (parts.length === 0) parts.push(`rules ${evidence.rules.join(', ')}`);
  return parts.join(', ');
}

/** A device's config to restore: its revision from the config repository where there is one, else the time of its last config change. */
function describeConfig(state: EntityState): string {
  const revision = state.config?.revision;
  if (revision) return `${state.entity} config ${revision.commit.slice(0, 8)} of ${time(revision.time)}`;
  return `${state.entity} config of ${state.config && state.config.time !== new Date(0).toISOString() ? time(state.config.time) : 'unknown'}`;
}

export function describeState(checkpoint: Checkpoint): string {
  return checkpoint.state.map((s) => (s.entityKind === 'device' ? describeConfig(s) : `${s.entity} ${s.versions.join('/')}`)).join(', ');
}

/** Per device whose config changed since the checkpoint: the revision to restore and the diff from it to the current config. */
export function describeConfigDiffs(checkpoint: Checkpoint): string[] {
  return checkpoint.state.flatMap(({ entity, config }) =>
    config?.revision && config.current && config.diff
      ? [`${entity}: restore ${config.revision.commit.slice(0, 8)} (${config.revision.path}, by ${config.revision.author}); the config now, ${config.current.commit.slice(0, 8)}, differs by:\n${config.diff.trimEnd()}`]
      : [],
  );
}

export function describeChange(change: Change): string {
  const by = change.author ? ` by ${change.author}` : '';
  if (change.kind === 'deploy' && change.previousVersion) return `${change.entity} ${change.previousVersion} → ${change.version} at ${time(change.time)}`;
  if (change.kind === ('config_change' satisfies DeviceEventKind)) return `${change.entity} config change at ${time(change.time)}${by}`;
  return `${change.title} (${change.entity}) at ${time(change.time)}${by}`;
}

const count = (n: number): string => n.toLocaleString('en-US');
const windows = (n: number): string => `${n} window${n === 1 ? '' : 's'}`;

/** "10 s", "4 min": how far apart two moments are. */
function span(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** " (named by their spans' server.address)": which of a device's hosts its spans placed behind it, and by which attributes. */
function namedBySpans({ frontedHosts, spanNamedHosts, namingAttributes }: SuspectFacts): string {
  if (spanNamedHosts.length === 0) return '';
  const whose = spanNamedHosts.length === frontedHosts.length ? '' : `${spanNamedHosts.join(', ')} `;
  return ` (${whose}named by ${spanNamedHosts.length === 1 ? 'its' : 'their'} spans' ${namingAttributes.join(' and ')})`;
}

/** The evidence against a suspect in words, one line per kind, as README's "How it decides" ranks them. */
export function suspectEvidence(change: Change, facts: SuspectFacts, incident: Incident): string[] {
  const first = incident.firstBad.entity;
  const lines: string[] = [];
  if (change.onFirstBad) lines.push(`on ${first}, which went bad first`);
  else if (facts.callsIntoFirst > 0) lines.push(`${change.entity} calls ${first}, which went bad first (${count(facts.callsIntoFirst)} calls)`);
  else if (facts.callsFromFirst > 0) lines.push(`${first}, which went bad first, calls ${change.entity} (${count(facts.callsFromFirst)} calls)`);
  else if (facts.frontedHosts.length > 0) lines.push(`${change.entity} is in front of ${facts.frontedHosts.join(', ')}, where ${first} runs${namedBySpans(facts)}`);
  const through = change.kind === 'deploy' ? `${change.entity} ${change.version}` : `${change.entity}${change.entityKind === 'device' ? ' (or a host behind it)' : ''} after the change`;
  if (facts.failing > 0 && facts.failingThrough > 0) {
    const others = facts.spansWithout > 0 ? `of its other spans, ${percent(facts.badWithout / facts.spansWithout)}` : 'it had no other spans';
    lines.push(
      `of ${first}'s ${count(facts.failing)} failing or slow spans in the incident, ${percent(facts.failingThrough / facts.failing)} ran through ${through}; ` +
        `of its spans through it, ${percent(facts.badThrough / facts.spansThrough)} failed or were slow; ${others}`,
    );
  } else if (facts.failing > 0 && (facts.spansThrough > 0 || change.entityKind === 'service')) {
    // A device's name is on no span (unless it is also a host): silence there is no evidence.
    lines.push(`none of ${first}'s ${count(facts.failing)} failing or slow spans in the incident ran through ${through}`);
  }
  if (change.kind === 'deploy' && facts.versionHosts.length > 0 && facts.versionHosts.length < facts.serviceHosts) {
    const hosts = facts.versionHosts.join(', ');
    lines.push(`${change.version} ran on ${facts.versionHosts.length} of ${change.entity}'s ${facts.serviceHosts} hosts (${hosts})${change.previousVersion ? `: restore ${change.previousVersion} there` : ''}`);
  }
  if (facts.windowsAfter > 0) {
    lines.push(
      facts.badAfter > 0
        ? `${change.entity} was unhealthy in ${facts.badAfter} of its ${windows(facts.windowsAfter)} after the change`
        : `${change.entity} stayed healthy in its ${windows(facts.windowsAfter)} after the change`,
    );
  }
  const lead = (Date.parse(incident.start) - Date.parse(change.time)) / 1000;
  lines.push(`made ${span(lead)} ${lead >= 0 ? 'before' : 'after'} the incident started`);
  return lines;
}

/** A suspect with its score and evidence, on one line. */
export const describeSuspect = (suspect: Suspect): string => `${describeChange(suspect)} — score ${suspect.score}: ${suspect.evidenceLines.join('; ')}`;

export function explain(incident: ResolvedIncident): string {
  const first = incident.firstBad;
  const lines = [`${first.entity} went unhealthy at ${time(incident.start)} (${reason(first)}); ${incident.status === 'open' ? 'still open' : `resolved at ${time(incident.end)}`}.`];
  lines.push(
    incident.checkpoint.time
      ? `Last checkpoint ${time(incident.checkpoint.time)}: ${describeState(incident.checkpoint) || 'no versions or config recorded'}.`
      : `No checkpoint: the scope was not healthy and unchanged for ${incident.checkpoint.stableWindows} windows in the range looked at.`,
  );
  lines.push(incident.suspects.length > 0 ? `Suspects since then: ${incident.suspects.map(describeChange).join('; ')}.` : 'No changes recorded since then.');
  // The evidence, a suspect a line; then the config diffs to restore.
  const story = [lines.join(' '), ...incident.suspects.map((suspect, i) => `  ${i + 1}. ${describeSuspect(suspect)}`)].join('\n');
  return [story, ...describeConfigDiffs(incident.checkpoint)].join('\n\n');
}
