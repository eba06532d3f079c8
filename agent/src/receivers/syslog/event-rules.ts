import type { DeviceEventKind } from '@rollpoint/proto';

/** One classification rule: a message whose "MSGID: message" text matches `match` is of `kind`. */
export interface EventRule {
  kind: DeviceEventKind;
  match: RegExp;
}

/**
 * The built-in table, most specific first; the first match wins and `other` is never assigned by a
 * rule (a message that matches nothing has no kind). `event_rules` in the configuration are tried
 * before these.
 */
export const BUILT_IN_EVENT_RULES: readonly EventRule[] = [
  // Configuration changes: Cisco IOS/IOS-XE and Arista EOS, NX-OS, IOS-XR, Junos.
  { kind: 'config_change', match: /^SYS-5-CONFIG(?:_I|_E|_NV_I|_P)?:/ },
  { kind: 'config_change', match: /^VSHD-5-VSHD_SYSLOG_CONFIG_I:/ },
  { kind: 'config_change', match: /^(?:MGBL-)?CONFIG-6-DB_COMMIT:/ },
  { kind: 'config_change', match: /^UI_COMMIT(?:_COMPLETED)?:/ },
  // Interfaces: Cisco LINK/LINEPROTO UPDOWN, NX-OS ETHPORT, Junos SNMP_TRAP_LINK_*.
  { kind: 'link_down', match: /^(?:LINK|LINEPROTO)-\d-UPDOWN:.*\bchanged state to (?:down|administratively down)\b/ },
  { kind: 'link_up', match: /^(?:LINK|LINEPROTO)-\d-UPDOWN:.*\bchanged state to up\b/ },
  { kind: 'link_down', match: /^ETHPORT-5-IF_DOWN_[A-Z_]+:/ },
  { kind: 'link_up', match: /^ETHPORT-5-IF_UP:/ },
  { kind: 'link_down', match: /^SNMP_TRAP_LINK_DOWN:/ },
  { kind: 'link_up', match: /^SNMP_TRAP_LINK_UP:/ },
  // Restarts: Cisco, Junos.
  { kind: 'reboot', match: /^SYS-5-(?:RESTART|RELOAD):/ },
  { kind: 'cold_start', match: /^SNMPD_TRAP_COLD_START:/ },
  { kind: 'warm_start', match: /^SNMPD_TRAP_WARM_START:/ },
  // Logins refused.
  { kind: 'auth_failure', match: /^SEC_LOGIN-4-LOGIN_FAILED:|^SSHD_LOGIN_FAILED:/ },
];

/**
 * The kind of the first rule that matches, or undefined. Cisco's mnemonic leads with "%" when a
 * device sends it inside an RFC 5424 message ("- - %SYS-5-CONFIG_I: …"); that "%" is not matched.
 */
export function classify(rules: readonly EventRule[], msgId: string | undefined, message: string): DeviceEventKind | undefined {
  const text = msgId ? `${msgId}: ${message}` : message.replace(/^%(?=[A-Z])/, '');
  return rules.find((rule) => rule.match.test(text))?.kind;
}
