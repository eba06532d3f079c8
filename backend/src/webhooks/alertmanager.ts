import { createHash } from 'node:crypto';
import type { ResolvedIncident } from '../checkpoints/api-types.js';
import { describeState, describeSuspect, explain, reason } from '../checkpoints/explain.js';

// An incident notification in Alertmanager's webhook format (version 4), so receivers written for
// Alertmanager work unchanged: one group per incident, holding one alert. Our facts travel as
// annotations, which are plain strings there.

/** What a notification tells: the incident opened, its checkpoint and suspects are known, it resolved. */
export type IncidentEvent = 'opened' | 'checkpoint' | 'resolved';

export const ALERT_NAME = 'RollpointIncident';

interface Alert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface AlertmanagerMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: Alert[];
}

/** Alertmanager's "no end yet" for a firing alert. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Alertmanager's form: {name="value", …}, sorted by name. */
const labelSet = (labels: Record<string, string>): string =>
  `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',')}}`;

function annotations(incident: ResolvedIncident, event: IncidentEvent): Record<string, string> {
  const first = incident.firstBad;
  const opened = {
    event,
    summary: `${incident.scope}: ${first.entity} unhealthy since ${incident.start} (${reason(first)})`,
    first_bad: `${first.entityKind} ${first.entity}`,
    rules: first.rules.join(','),
  };
  if (event === 'opened') return opened;
  const story = explain(incident);
  return {
    ...opened,
    // `description` is where Alertmanager templates look; `story` is the name rollpoint uses.
    description: story,
    story,
    checkpoint: incident.checkpoint.time ?? '',
    restore: describeState(incident.checkpoint),
    // Best first, each with its score and evidence.
    suspects: incident.suspects.map(describeSuspect).join('\n'),
    ...(event === 'resolved' ? { resolved_at: incident.end } : {}),
  };
}

/** The message for one webhook (`receiver`) about one incident. */
export function incidentMessage(incident: ResolvedIncident, event: IncidentEvent, receiver: string, externalUrl: string): AlertmanagerMessage {
  const status = event === 'resolved' ? 'resolved' : 'firing';
  const labels = { alertname: ALERT_NAME, scope: incident.scope, incident_id: incident.id, entity: incident.firstBad.entity, entity_kind: incident.firstBad.entityKind };
  const groupLabels = { scope: incident.scope, incident_id: incident.id };
  const alert: Alert = {
    status,
    labels,
    annotations: annotations(incident, event),
    startsAt: incident.start,
    endsAt: status === 'resolved' ? incident.end : ZERO_TIME,
    generatorURL: `${externalUrl}/?${new URLSearchParams({ scope: incident.scope, incident: incident.id })}`,
    fingerprint: createHash('sha256').update(labelSet(labels)).digest('hex').slice(0, 16),
  };
  return {
    version: '4',
    groupKey: `{}:${labelSet(groupLabels)}`,
    truncatedAlerts: 0,
    status,
    receiver,
    groupLabels,
    commonLabels: labels,
    commonAnnotations: alert.annotations,
    externalURL: externalUrl,
    alerts: [alert],
  };
}
