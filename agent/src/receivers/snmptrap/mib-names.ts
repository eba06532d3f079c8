import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import snmp from 'net-snmp';

// OID → name. A built-in table covers what every trap carries (SNMPv2-MIB), interfaces (IF-MIB) and
// configuration changes (CISCO-CONFIG-MAN-MIB); MIB files in the configured folder extend it through
// net-snmp's module store (its MIB parser: no hand-written one here). An OID nobody knows stays
// numeric: a trap is never dropped for a failed look-up.

export interface MibObject {
  name: string;
  /** Labels of an enumerated INTEGER: value → label. */
  labels?: Readonly<Record<number, string>>;
}

const IF_STATUS = { 1: 'up', 2: 'down', 3: 'testing' } as const;
const IF_OPER_STATUS = { ...IF_STATUS, 4: 'unknown', 5: 'dormant', 6: 'notPresent', 7: 'lowerLayerDown' } as const;
const CONFIG_LOCATION = { 1: 'erase', 2: 'commandSource', 3: 'running', 4: 'startup', 5: 'local', 6: 'networkTftp', 7: 'networkRcp', 8: 'networkFtp', 9: 'networkScp' } as const;

export const BUILT_IN_MIB: ReadonlyMap<string, MibObject> = new Map<string, MibObject>([
  // SNMPv2-MIB
  ['1.3.6.1.2.1.1.1', { name: 'sysDescr' }],
  ['1.3.6.1.2.1.1.2', { name: 'sysObjectID' }],
  ['1.3.6.1.2.1.1.3', { name: 'sysUpTime' }],
  ['1.3.6.1.2.1.1.4', { name: 'sysContact' }],
  ['1.3.6.1.2.1.1.5', { name: 'sysName' }],
  ['1.3.6.1.2.1.1.6', { name: 'sysLocation' }],
  ['1.3.6.1.6.3.1.1.4.1', { name: 'snmpTrapOID' }],
  ['1.3.6.1.6.3.1.1.4.3', { name: 'snmpTrapEnterprise' }],
  ['1.3.6.1.6.3.1.1.5.1', { name: 'coldStart' }],
  ['1.3.6.1.6.3.1.1.5.2', { name: 'warmStart' }],
  ['1.3.6.1.6.3.1.1.5.5', { name: 'authenticationFailure' }],
  ['1.3.6.1.6.3.1.1.5.6', { name: 'egpNeighborLoss' }],
  // SNMP-COMMUNITY-MIB (the RFC 3584 v1 → v2 conversion adds these)
  ['1.3.6.1.6.3.18.1.3', { name: 'snmpTrapAddress' }],
  ['1.3.6.1.6.3.18.1.4', { name: 'snmpTrapCommunity' }],
  // IF-MIB
  ['1.3.6.1.6.3.1.1.5.3', { name: 'linkDown' }],
  ['1.3.6.1.6.3.1.1.5.4', { name: 'linkUp' }],
  ['1.3.6.1.2.1.2.2.1.1', { name: 'ifIndex' }],
  ['1.3.6.1.2.1.2.2.1.2', { name: 'ifDescr' }],
  ['1.3.6.1.2.1.2.2.1.3', { name: 'ifType' }],
  ['1.3.6.1.2.1.2.2.1.7', { name: 'ifAdminStatus', labels: IF_STATUS }],
  ['1.3.6.1.2.1.2.2.1.8', { name: 'ifOperStatus', labels: IF_OPER_STATUS }],
  ['1.3.6.1.2.1.31.1.1.1.1', { name: 'ifName' }],
  ['1.3.6.1.2.1.31.1.1.1.18', { name: 'ifAlias' }],
  // CISCO-CONFIG-MAN-MIB
  ['1.3.6.1.4.1.9.9.43.2.0.1', { name: 'ciscoConfigManEvent' }],
  ['1.3.6.1.4.1.9.9.43.1.1.6.1.3', { name: 'ccmHistoryEventCommandSource', labels: { 1: 'commandLine', 2: 'snmp' } }],
  ['1.3.6.1.4.1.9.9.43.1.1.6.1.4', { name: 'ccmHistoryEventConfigSource', labels: CONFIG_LOCATION }],
  ['1.3.6.1.4.1.9.9.43.1.1.6.1.5', { name: 'ccmHistoryEventConfigDestination', labels: CONFIG_LOCATION }],
]);

/** A resolved OID: the object's name and the instance part after it ("" for a notification). */
export interface Resolved {
  object?: MibObject;
  /** The instance suffix (".0", ".3"), or the whole OID when nothing is known of it. */
  instance: string;
}

type ModuleStore = ReturnType<typeof snmp.createModuleStore>;

/** Loads every file in `folder` into a module store; files whose imports are not loaded yet are retried. */
function loadMibFolder(folder: string, warn: (file: string, error: string) => void): { store: ModuleStore; names: Map<string, MibObject> } {
  const store = snmp.createModuleStore();
  let pending = readdirSync(folder, { withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(folder, f.name));
  const errors = new Map<string, string>();
  while (pending.length > 0) {
    const failed = pending.filter((file) => {
      try {
        store.loadFromFile(file);
        return false;
      } catch (error) {
        errors.set(file, (error as Error).message);
        return true;
      }
    });
    if (failed.length === pending.length) break;
    pending = failed;
  }
  for (const file of pending) warn(file, errors.get(file) ?? 'not loaded');
  const names = new Map<string, MibObject>();
  for (const module of Object.values(store.getModules(false) as Record<string, Record<string, { OID?: string; SYNTAX?: unknown }>>)) {
    for (const [name, definition] of Object.entries(module)) {
      if (typeof definition?.OID !== 'string') continue;
      const labels = enumLabels(definition.SYNTAX);
      names.set(definition.OID, labels ? { name, labels } : { name });
    }
  }
  return { store, names };
}

/** The value → label map of `SYNTAX INTEGER { up(1), down(2) }`, as net-snmp's parser gives it ({"1": "up"}). */
function enumLabels(syntax: unknown): Record<number, string> | undefined {
  const values = (syntax as { INTEGER?: Record<string, unknown> } | undefined)?.INTEGER;
  if (!values || typeof values !== 'object') return undefined;
  const labels: Record<number, string> = {};
  for (const [value, label] of Object.entries(values)) if (/^-?\d+$/.test(value) && typeof label === 'string') labels[Number(value)] = label;
  return Object.keys(labels).length > 0 ? labels : undefined;
}

export class MibNames {
  private loaded = new Map<string, MibObject>();

  constructor(private readonly warn: (file: string, error: string) => void = () => undefined) {}

  /** (Re)loads the MIB files of `folder`; the built-in table always stays. */
  loadFolder(folder: string): number {
    this.loaded = loadMibFolder(folder, this.warn).names;
    return this.loaded.size;
  }

  /** The object an OID names (longest known prefix) and the instance after it. */
  resolve(oid: string): Resolved {
    for (let end = oid.length; end > 0; end = oid.lastIndexOf('.', end - 1)) {
      const prefix = oid.slice(0, end);
      const object = BUILT_IN_MIB.get(prefix) ?? this.loaded.get(prefix);
      if (object) return { object, instance: oid.slice(end) };
      if (end <= 0) break;
    }
    return { instance: oid };
  }

  /** A notification's name, or its numeric OID. */
  trapName(oid: string): string {
    const { object, instance } = this.resolve(oid);
    return object && instance === '' ? object.name : oid;
  }

  /** An OID as a value: its object's name with any instance but .0 (ifIndex.3, sysUpTime), or the OID. */
  oidName(oid: string): string {
    const { object, instance } = this.resolve(oid);
    if (!object) return oid;
    return instance === '' || instance === '.0' ? object.name : `${object.name}${instance}`;
  }

  /** A varbind's name: the object's name without its instance (ifOperStatus for ifOperStatus.3), or the OID. */
  varbindName(oid: string): string {
    return this.resolve(oid).object?.name ?? oid;
  }
}
