// Device event kinds: what a syslog message or an SNMP trap says happened to a piece of gear, as the
// attribute `rollpoint.event.kind`, so the backend can count and align events without re-parsing.

export const EVENT_KIND_ATTRIBUTE = 'rollpoint.event.kind';

export const EVENT_KINDS = ['link_down', 'link_up', 'cold_start', 'warm_start', 'reboot', 'auth_failure', 'config_change', 'other'] as const;

export type EventKind = (typeof EVENT_KINDS)[number];
