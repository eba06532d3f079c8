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
  // Configuration changes: Cisco IOS/IOS-XE and Arista EOS, NX-OS, IOS-XR, ASA, Junos (with or
  // without `explicit-priority`'s "%FACILITY-5-" prefix), Huawei VRP, H3C Comware, F5 audit,
  // FortiGate (object and attribute configured), EdgeOS/VyOS commit, MikroTik.
  { kind: 'config_change', match: /^SYS-5-CONFIG(?:_I|_E|_NV_I|_P)?:/ },
  { kind: 'config_change', match: /^VSHD-5-VSHD_SYSLOG_CONFIG_I:/ },
  { kind: 'config_change', match: /^(?:MGBL-)?CONFIG-6-DB_COMMIT ?:|^MGBL-SYS-5-CONFIG_I ?:|^DMI-5-CONFIG_I:/ },
  { kind: 'config_change', match: /^ASA-5-1110(?:08|10):/ },
  { kind: 'config_change', match: /^(?:[A-Z]+-\d-)?UI_COMMIT(?:_COMPLETED)?:/ },
  { kind: 'config_change', match: /^(?:CFG\/4\/CFG_CHANGE|CFGMAN\/5\/CFGMAN_CFGCHANGED):/ },
  { kind: 'config_change', match: /^01070417:\d: AUDIT - .* - (?:create|modify|delete) \{/ },
  { kind: 'config_change', match: /\blogid="?01000445(?:4[5-7])"? / },
  { kind: 'config_change', match: /^Successful change to active configuration by user / },
  { kind: 'config_change', match: /^system,info (?:.+ )?(?:changed|added|removed) by \S+$/ },
  // Interfaces: Cisco LINK/LINEPROTO UPDOWN (IOS-XR's PKT_INFRA- and capitalised states), NX-OS
  // ETHPORT, ASA 411001-4, Junos SNMP_TRAP_LINK_*, Huawei/H3C IFNET, F5, MikroTik, ArubaOS-Switch,
  // Ubiquiti EdgeSwitch.
  { kind: 'link_down', match: /^(?:LINK|LINEPROTO)-\d-UPDOWN:.*\bchanged state to (?:down|administratively down)\b/ },
  { kind: 'link_up', match: /^(?:LINK|LINEPROTO)-\d-UPDOWN:.*\bchanged state to up\b/ },
  { kind: 'link_down', match: /^PKT_INFRA-(?:LINK|LINEPROTO)-\d-UPDOWN:.*\bchanged state to (?:Down|Administratively Down)\b/ },
  { kind: 'link_up', match: /^PKT_INFRA-(?:LINK|LINEPROTO)-\d-UPDOWN:.*\bchanged state to Up\b/ },
  { kind: 'link_down', match: /^ETHPORT-5-IF_DOWN_[A-Z_]+:/ },
  { kind: 'link_up', match: /^ETHPORT-5-IF_UP:/ },
  { kind: 'link_down', match: /^ASA-4-41100[24]:/ },
  { kind: 'link_up', match: /^ASA-4-41100[13]:/ },
  { kind: 'link_down', match: /^(?:[A-Z]+-\d-)?SNMP_TRAP_LINK_DOWN:/ },
  { kind: 'link_up', match: /^(?:[A-Z]+-\d-)?SNMP_TRAP_LINK_UP:/ },
  { kind: 'link_down', match: /^IFNET\/\d\/(?:LINK_STATE|PHY_UPDOWN|LINK_UPDOWN|linkDown_active):.*\b(?:DOWN|down)\b/ },
  { kind: 'link_up', match: /^IFNET\/\d\/(?:LINK_STATE|PHY_UPDOWN|LINK_UPDOWN|linkDown_clear):.*\b(?:UP|up)\b/ },
  { kind: 'link_down', match: /^[0-9a-f]{8}:\d: Link: \S+ is DOWN\b/ },
  { kind: 'link_up', match: /^[0-9a-f]{8}:\d: Link: \S+ is UP\b/ },
  { kind: 'link_down', match: /^interface,info \S+ link down\b|^port \S+ is now off-line\b|%% (?:NOTE )?Link Down: / },
  { kind: 'link_up', match: /^interface,info \S+ link up\b|^port \S+ is now on-line\b|%% (?:NOTE )?Link Up: / },
  // Palo Alto SYSTEM logs (event ID link-change) and AOS-CX events ("Event|403|LOG_INFO|…|Link status …").
  { kind: 'link_down', match: /^1,(?:[^,]*,){2}SYSTEM,general,(?:[^,]*,){3}link-change,.*"Port \S+: Down\b|^Event\|\d+\|[^|]*\|[^|]*\|[^|]*\|Link status for interface \S+ is down\b/ },
  { kind: 'link_up', match: /^1,(?:[^,]*,){2}SYSTEM,general,(?:[^,]*,){3}link-change,.*"Port \S+: Up\b|^Event\|\d+\|[^|]*\|[^|]*\|[^|]*\|Link status for interface \S+ is up\b/ },
  // Restarts: Cisco, ASA, Junos, H3C.
  { kind: 'reboot', match: /^SYS-5-(?:RESTART|RELOAD):|^ASA-5-199001:|^(?:[A-Z]+-\d-)?UI_REBOOT_EVENT:|^SYSLOG\/6\/SYSLOG_RESTART:/ },
  { kind: 'cold_start', match: /^SNMPD_TRAP_COLD_START:/ },
  { kind: 'warm_start', match: /^SNMPD_TRAP_WARM_START:/ },
  // Logins refused: Cisco IOS, IOS-XR, NX-OS, ASA, Junos, Huawei, H3C, FortiGate, MikroTik.
  { kind: 'auth_failure', match: /^SEC_LOGIN-4-LOGIN_FAILED:|^(?:[A-Z]+-\d-)?SSHD_LOGIN_FAILED:|^(?:[A-Z]+-\d-)?LOGIN_FAILED:/ },
  { kind: 'auth_failure', match: /^SECURITY-LOGIN-4-AUTHEN_FAILED:|^AUTHPRIV-\d-SYSTEM_MSG:.*\bauthentication failure\b|^ASA-6-(?:113015|605004):/ },
  { kind: 'auth_failure', match: /^SSH\/5\/SSH_USER_LOGIN_FAIL:|^LOGIN\/5\/LOGIN_FAILED:/ },
  { kind: 'auth_failure', match: /\blogid="?0100032002"? |^system,error,critical login failure for user |^1,(?:[^,]*,){2}SYSTEM,auth,(?:[^,]*,){3}auth-fail,/ },
];

/**
 * The kind of the first rule that matches, or undefined. Cisco's mnemonic leads with "%" when a
 * device sends it inside an RFC 5424 message ("- - %SYS-5-CONFIG_I: …"); that "%" is not matched.
 */
export function classify(rules: readonly EventRule[], msgId: string | undefined, message: string): DeviceEventKind | undefined {
  const text = msgId ? `${msgId}: ${message}` : message.replace(/^%(?=[A-Z])/, '');
  return rules.find((rule) => rule.match.test(text))?.kind;
}
