import { fortiOsFields } from './fortios-fields.js';
import { parseRfc3339, resolveBsdTime, type BsdTime } from './timestamps.js';

// Syslog text to its fields: RFC 5424, RFC 3164 and the variants devices really send (no PRI, no
// hostname, RFC 3339 times in BSD headers, Cisco IOS message counters, origin-ids, sequence numbers
// and clock markers, Juniper event tags, Huawei/H3C "%%" information IDs, F5 message codes, FortiOS's
// device name and time in its key=value message).
// Hand-written: the npm syslog parsers handle one RFC each and none of these variants, and a parser that must never throw on hostile input is easier to keep honest when it is ours.

export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  /** PRI; 13 (user.notice) when the message has none, as RFC 3164 §4.3.3 prescribes. */
  priority: number;
  hasPriority: boolean;
  version?: number;
  /** Event time in Unix nanoseconds, when the message carries one. */
  timeUnixNano?: bigint;
  hostname?: string;
  appname?: string;
  procId?: string;
  msgId?: string;
  structuredData?: Record<string, Record<string, string>>;
  /** Cisco IOS's message sequence number. */
  sequence?: string;
  message: string;
}

export type ParseResult = { ok: true; value: SyslogMessage } | { ok: false; error: string };

export interface ParseOptions {
  /** IANA zone for timestamps that carry none. */
  timezone: string;
  receivedAtMs: number;
}

const DEFAULT_PRIORITY = 13;
const MAX_PRIORITY = 191;
const NIL = '-';
const BOM = '\uFEFF';

const fail = (error: string): ParseResult => ({ ok: false, error });
const orUndefined = (field: string): string | undefined => (field === NIL ? undefined : field);

/** `text` without the CR, LF and NUL characters it ends with. */
export function withoutTrailer(text: string): string {
  let end = text.length;
  for (let c = text.charCodeAt(end - 1); c === 0x0a || c === 0x0d || c === 0x00; c = text.charCodeAt(end - 1)) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** Parses one syslog message; never throws. */
export function parseSyslog(text: string, options: ParseOptions): ParseResult {
  let rest = withoutTrailer(text);
  let priority = DEFAULT_PRIORITY;
  let hasPriority = false;
  if (rest.startsWith('<')) {
    const pri = /^<(\d{1,3})>/.exec(rest);
    if (!pri) return fail('PRI is not <0-191>');
    priority = Number(pri[1]);
    if (priority > MAX_PRIORITY) return fail(`PRI ${priority} is over 191`);
    hasPriority = true;
    rest = rest.slice(pri[0].length);
  }
  const parsed: ParseResult = hasPriority && /^[1-9]\d? /.test(rest) ? parseRfc5424(rest, priority) : { ok: true, value: parseRfc3164(rest, priority, hasPriority, options) };
  return parsed.ok ? { ok: true, value: withMessageFields(parsed.value, options) } : parsed;
}

/** The host and time a header lacks, from the message where a vendor puts them there (FortiOS). */
function withMessageFields(message: SyslogMessage, options: ParseOptions): SyslogMessage {
  if (message.hostname !== undefined && message.timeUnixNano !== undefined) return message;
  const fields = fortiOsFields(message.message, options.timezone, options.receivedAtMs);
  if (message.hostname === undefined && fields.hostname !== undefined) message.hostname = fields.hostname;
  if (message.timeUnixNano === undefined && fields.timeUnixNano !== undefined) message.timeUnixNano = fields.timeUnixNano;
  return message;
}

// ── RFC 5424 ────────────────────────────────────────────────────────────────────────────────────

function parseRfc5424(afterPri: string, priority: number): ParseResult {
  const header = /^(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(afterPri);
  if (!header) return fail('RFC 5424 header is incomplete (VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID)');
  const [, version, timestamp, hostname, appname, procId, msgId] = header as unknown as string[];
  let timeUnixNano: bigint | undefined;
  if (timestamp !== NIL) {
    timeUnixNano = parseRfc3339(timestamp!);
    if (timeUnixNano === undefined) return fail(`RFC 5424 TIMESTAMP "${timestamp!.slice(0, 40)}" is not RFC 3339`);
  }
  const sd = parseStructuredData(afterPri, header[0].length);
  if (typeof sd === 'string') return fail(sd);
  let message = afterPri.slice(sd.end);
  if (message.startsWith(' ')) message = message.slice(1);
  else if (message.length > 0) return fail('RFC 5424 STRUCTURED-DATA must be followed by a space');
  if (message.startsWith(BOM)) message = message.slice(BOM.length);
  return {
    ok: true,
    value: {
      format: 'rfc5424',
      priority,
      hasPriority: true,
      version: Number(version),
      ...(timeUnixNano !== undefined ? { timeUnixNano } : {}),
      ...defined({ hostname: orUndefined(hostname!), appname: orUndefined(appname!), procId: orUndefined(procId!), msgId: orUndefined(msgId!) }),
      ...(sd.elements ? { structuredData: sd.elements } : {}),
      message,
    },
  };
}

/** STRUCTURED-DATA from `start`: "-" or [id param="value" …]… with \" \\ \] escapes. */
function parseStructuredData(text: string, start: number): { elements?: Record<string, Record<string, string>>; end: number } | string {
  if (text[start] === '-') return { end: start + 1 };
  if (text[start] !== '[') return 'RFC 5424 STRUCTURED-DATA must be "-" or start with "["';
  const elements: Record<string, Record<string, string>> = {};
  let i = start;
  while (text[i] === '[') {
    const id = /^[^\s=\]"]{1,32}/.exec(text.slice(i + 1, i + 34));
    if (!id) return 'RFC 5424 SD-ID is missing or malformed';
    i += 1 + id[0].length;
    const params: Record<string, string> = {};
    while (text[i] === ' ') {
      const name = /^ ([^\s=\]"]{1,32})="/.exec(text.slice(i, i + 36));
      if (!name) return `RFC 5424 SD-PARAM in [${id[0]}] is malformed`;
      i += name[0].length;
      let value = '';
      for (;;) {
        const c = text[i];
        if (c === undefined) return `RFC 5424 SD-PARAM ${name[1]} in [${id[0]}] is not closed`;
        if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\' || text[i + 1] === ']')) {
          value += text[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      params[name[1]!] = value;
    }
    if (text[i] !== ']') return `RFC 5424 SD-ELEMENT [${id[0]}] is not closed`;
    i++;
    elements[id[0]] = { ...elements[id[0]], ...params };
  }
  return { elements, end: i };
}

// ── RFC 3164 and what devices send under that name ──────────────────────────────────────────────

// "Mar  1 18:46:11", with an optional year before (NX-OS), after the day (ASA, Huawei) or after the
// time (H3C, ArubaOS), fraction, a UTC offset (Huawei "+08:00") and a zone only where a colon follows
// it (Cisco's "18:46:11.123 UTC:"), so a hostname is never read as one.
const BSD_TIME =
  /^(?:(\d{4}) )?([A-Z][a-z]{2}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([+-]\d{2}:\d{2})|(?: ([A-Z]{1,5})(?=:)))?(?: (\d{4})(?= ))?/;
// RFC 3339, or its date and time without a zone (H3C "iso", Huawei "2026-11-30 11:44:00"): the configured zone applies.
const NUMERIC_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?(?= |$)/;
// Cisco IOS: the message counter ("52: "), and again the number of `service sequence-numbers`.
const CISCO_SEQUENCE = /^(\d{1,10}): /;
// `logging origin-id hostname|ip|string`: "edge-1: " where a Cisco counter, time or mnemonic follows.
const CISCO_ORIGIN_ID = /^(?!\d{1,10}: |\d+[ywdh]\d+[wdhm]: )([A-Za-z0-9][A-Za-z0-9._-]{0,254}): (?=\d{1,10}: |[*.]?[A-Z][a-z]{2} {1,2}\d{1,2}(?: \d{4})? \d{2}:\d{2}:\d{2}|%[A-Z]|\d{1,2}:\d{2}:\d{2}: |\d+[ywdh]\d+[wdhm]: )/;
// `service timestamps log uptime`: "00:01:23: " or "1w2d: " is time since boot, not a time of day.
const CISCO_UPTIME = /^(?:\d{1,2}:\d{2}:\d{2}|\d+[ywdh]\d+[wdhm]): /;
const TAG = /^([^\s:[\]]{1,64})(?:\[([^\]\s]{0,128})\])?: ?/;
const CISCO_MNEMONIC = /^%([A-Z0-9_]+(?:-[A-Z0-9_]+)*-\d-[A-Z0-9_]+) ?: ?/;
// IOS-XR names the card before the time: "RP/0/RSP0/CPU0:Nov 30 …".
const IOS_XR_NODE = /^[A-Z]+(?:\/[A-Z0-9]+)+:(?=[*.]?[A-Z][a-z]{2} )/;
const JUNOS_TAG = /^([A-Z][A-Z0-9]*_[A-Z0-9_]+): ?/;
// Huawei VRP and H3C Comware: "%%01IFNET/4/LINK_STATE(l)[0]:" (version, module/level/digest, type, count).
const VRP_INFO_ID = /^%%(?:\d{2} ?)?([A-Za-z0-9_]+\/\d\/[A-Za-z0-9_]+)(?:\([a-z]\))?(?:\[\d+\])?: ?/;
// F5 BIG-IP: "01070638:5: " (message code and level) after the daemon's tag; ArubaOS: "<501093> ".
const VENDOR_CODE = /^([0-9a-f]{8}:\d): |^<(\d{6})> /;
// F5 BIG-IP writes the level as a word between its hostname and the tag: "bigip1 notice mcpd[6570]:".
const LEVEL_WORD = /^(?:emerg|alert|crit|err|warning|notice|info|debug) (?=[^\s:[\]]{1,64}(?:\[\d{1,10}\])?: )/;
const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$/;

interface Cursor {
  rest: string;
}

/** A timestamp at the start of `cursor.rest` (BSD or RFC 3339), consumed with the space after it. */
function takeTimestamp(cursor: Cursor, options: ParseOptions): bigint | undefined | null {
  const marker = /^[*.]/.test(cursor.rest) && BSD_TIME.test(cursor.rest.slice(1)) ? 1 : 0;
  const bsd = BSD_TIME.exec(cursor.rest.slice(marker));
  if (bsd) {
    const time: BsdTime = { month: bsd[2]!, day: +bsd[3]!, hour: +bsd[5]!, minute: +bsd[6]!, second: +bsd[7]! };
    const year = bsd[1] ?? bsd[4] ?? bsd[11];
    if (year) time.year = +year;
    if (bsd[8]) time.fraction = bsd[8];
    if (bsd[9]) time.offset = bsd[9];
    if (bsd[10]) time.zone = bsd[10];
    cursor.rest = cursor.rest.slice(marker + bsd[0].length).replace(/^:? ?/, '');
    return resolveBsdTime(time, options.timezone, options.receivedAtMs) ?? null;
  }
  const numeric = NUMERIC_TIME.exec(cursor.rest);
  if (numeric) {
    cursor.rest = cursor.rest.slice(numeric[0].length).replace(/^ /, '');
    if (numeric[8]) return parseRfc3339(numeric[0]) ?? null;
    const [year, month, day, hour, minute, second] = numeric.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const time: BsdTime = { year, month, day, hour, minute, second };
    if (numeric[7]) time.fraction = numeric[7];
    return resolveBsdTime(time, options.timezone, options.receivedAtMs) ?? null;
  }
  return undefined;
}

function parseRfc3164(afterPri: string, priority: number, hasPriority: boolean, options: ParseOptions): SyslogMessage {
  // NX-OS: "<189>: 2026 Nov 30 10:10:00 UTC: %VSHD-…" (an empty field before its year-first time).
  const cursor: Cursor = { rest: afterPri.replace(/^: (?=\d{4} [A-Z][a-z]{2} )/, '') };
  const message: SyslogMessage = { format: 'rfc3164', priority, hasPriority, message: '' };

  // Cisco IOS: "52: edge-1: 000045: *Mar  1 18:46:11.123 UTC: %LINK-3-UPDOWN: …" (message counter,
  // origin-id, sequence number, each optional). The sequence number, when there is one, is kept.
  const ciscoHeader = takeCiscoHeader(cursor, message);
  const time = ciscoHeader && CISCO_UPTIME.test(cursor.rest) ? undefined : takeTimestamp(cursor, options);
  if (time === undefined && ciscoHeader) cursor.rest = cursor.rest.replace(CISCO_UPTIME, '');
  if (typeof time === 'bigint') message.timeUnixNano = time;
  // Without a timestamp there is no header to speak of: the rest is the message.
  if (time === undefined) return withContent(message, cursor.rest);

  // After the timestamp comes HOSTNAME, unless the next word is already the TAG ("sshd[12]:") or a
  // Cisco mnemonic, or a Cisco header came first (its origin-id, if any, is the hostname).
  const word = /^(\S+) /.exec(cursor.rest);
  if (!ciscoHeader && word && HOSTNAME.test(word[1]!) && !word[1]!.endsWith(':') && !word[1]!.includes('[')) {
    message.hostname = word[1]!;
    cursor.rest = cursor.rest.slice(word[0].length);
    // A device's own header behind the relay's: Cisco IOS "2201: *Nov 30 …: %…", NX-OS ": 2026 Nov 30 … UTC: %…".
    const inner = /^(?:(\d{1,10}): |: )/.exec(cursor.rest);
    if (inner && BSD_TIME.test(cursor.rest.slice(inner[0].length).replace(/^[*.]/, ''))) {
      if (inner[1]) message.sequence = inner[1];
      cursor.rest = cursor.rest.slice(inner[0].length);
      takeTimestamp(cursor, options);
    }
    // Cisco ASA's `logging device-id`: "asa-1 : %ASA-…"; F5's level word before the tag.
    cursor.rest = cursor.rest.replace(/^: (?=%)/, '').replace(LEVEL_WORD, '');
  }
  if (!CISCO_MNEMONIC.test(cursor.rest) && !VRP_INFO_ID.test(cursor.rest)) {
    const tag = TAG.exec(cursor.rest);
    if (tag && tag[0].includes(':')) {
      message.appname = tag[1]!;
      if (tag[2]) message.procId = tag[2];
      cursor.rest = cursor.rest.slice(tag[0].length);
    }
  }
  return withContent(message, cursor.rest);
}

/** Cisco's counter, origin-id and sequence number at the start of `cursor.rest`; true when any was there. */
function takeCiscoHeader(cursor: Cursor, message: SyslogMessage): boolean {
  const counter = CISCO_SEQUENCE.exec(cursor.rest);
  if (counter) {
    message.sequence = counter[1]!;
    cursor.rest = cursor.rest.slice(counter[0].length);
  }
  const origin = CISCO_ORIGIN_ID.exec(cursor.rest);
  if (origin) {
    message.hostname = origin[1]!;
    cursor.rest = cursor.rest.slice(origin[0].length);
    const sequence = CISCO_SEQUENCE.exec(cursor.rest);
    if (sequence) {
      message.sequence = sequence[1]!;
      cursor.rest = cursor.rest.slice(sequence[0].length);
    }
  } else if (counter) {
    // `service sequence-numbers` behind the counter: "57: 000052: *Mar …".
    const sequence = /^(\d{1,10}): (?=[*.]?[A-Z][a-z]{2} |%)/.exec(cursor.rest);
    if (sequence) {
      message.sequence = sequence[1]!;
      cursor.rest = cursor.rest.slice(sequence[0].length);
    }
  }
  if (counter) cursor.rest = cursor.rest.replace(IOS_XR_NODE, '');
  return counter !== null || origin !== null;
}

/**
 * Sets the message, taking a leading Cisco mnemonic ("%SYS-5-CONFIG_I: "), Huawei/H3C information ID
 * ("%%01IFNET/4/LINK_STATE(l)[0]:" as "IFNET/4/LINK_STATE"), or, after a tag, a Junos event tag
 * ("UI_COMMIT: "), F5 code ("01070638:5: ") or ArubaOS message number ("<501093> ") as MSGID.
 */
function withContent(message: SyslogMessage, content: string): SyslogMessage {
  const id = CISCO_MNEMONIC.exec(content) ?? VRP_INFO_ID.exec(content) ?? (message.appname ? (VENDOR_CODE.exec(content) ?? JUNOS_TAG.exec(content)) : null);
  if (id) {
    message.msgId = id[1] ?? id[2]!;
    message.message = content.slice(id[0].length);
  } else {
    message.message = content;
  }
  return message;
}

/** `fields` without its undefined entries (the message's optional fields stay absent). */
function defined<T extends Record<string, string | undefined>>(fields: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<Record<keyof T, string>>;
}
