// The names the agent writes and the backend reads: rollpoint's own attributes, the device event
// kinds and the instrumentation scopes of the device receivers. A contract between two processes
// (and the stored data), like the OpenTelemetry semantic conventions: imported, never retyped.
// OpenTelemetry's own names (host.name, service.version, user.name, …) keep their spec's spelling.

/** A device event's kind, on the log record of a syslog message or an SNMP trap. */
export const ATTR_ROLLPOINT_EVENT_KIND = 'rollpoint.event.kind';
/** The id of the agent a resource passed through. */
export const ATTR_ROLLPOINT_AGENT_ID = 'rollpoint.agent.id';
/** Why a message could not be parsed (the record keeps the raw text as Body). */
export const ATTR_ROLLPOINT_PARSE_ERROR = 'rollpoint.parse_error';
/** Why a message's own time was not used (the record carries its receive time). */
export const ATTR_ROLLPOINT_TIME_ERROR = 'rollpoint.time_error';
/** The syslog format a message was parsed as: rfc5424, rfc3164 or unknown. */
export const ATTR_ROLLPOINT_SYSLOG_FORMAT = 'rollpoint.syslog.format';
/** True when the message was cut at max_message_bytes. */
export const ATTR_ROLLPOINT_TRUNCATED = 'rollpoint.truncated';
/** The message's bytes, when they were not valid UTF-8. */
export const ATTR_ROLLPOINT_RAW = 'rollpoint.raw';
/** On a span: the network device (switch, router, load balancer) in front of the host that served it, by its name as a device. */
export const ATTR_ROLLPOINT_DEVICE = 'rollpoint.device';

/**
 * What a syslog message or an SNMP trap says happened to a piece of gear (ATTR_ROLLPOINT_EVENT_KIND),
 * so the backend counts and aligns events without parsing messages again.
 */
export const DEVICE_EVENT_KINDS = ['link_down', 'link_up', 'cold_start', 'warm_start', 'reboot', 'auth_failure', 'config_change', 'other'] as const;

export type DeviceEventKind = (typeof DEVICE_EVENT_KINDS)[number];

/** The instrumentation scope of the syslog receiver's records. */
export const SCOPE_SYSLOG = 'rollpoint/syslog';
/** The instrumentation scope of the SNMP trap receiver's records. */
export const SCOPE_SNMPTRAP = 'rollpoint/snmptrap';
/** The instrumentation scope of the journald receiver's records (a host's own journal, not a device's). */
export const SCOPE_JOURNALD = 'rollpoint/journald';

/** Scopes whose log records come from network gear and servers' syslog: their host is a device. */
export const DEVICE_SCOPES = [SCOPE_SYSLOG, SCOPE_SNMPTRAP] as const;
