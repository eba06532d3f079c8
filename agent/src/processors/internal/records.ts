import type { Resource, SignalName } from '@rollpoint/proto';

// Processors never change the records of the requests they are given (see `Processor`): one that
// drops or changes records passes on a new request over new scopes, sharing what it left alone.

/** The nesting of the signals whose records are a plain list: resource groups, scopes, records. */
const NESTING = {
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
} as const;

export type RecordSignal = keyof typeof NESTING;

export const isRecordSignal = (name: SignalName): name is RecordSignal => name in NESTING;

type Node = Record<string, unknown>;
const list = (node: Node, field: string): Node[] => (node[field] as Node[] | null | undefined) ?? [];

/**
 * `request` with each record replaced by what `rewrite` returns for it (undefined drops it); scopes
 * and resource groups left with no records are dropped. The same request comes back when nothing changed.
 */
export function rewriteRecords<Req, R>(signal: RecordSignal, request: Req, rewrite: (record: R, resource: Resource | null | undefined) => R | undefined): Req {
  const [groupsField, scopesField, recordsField] = NESTING[signal];
  let changed = false;
  const groups = list(request as Node, groupsField).flatMap((group) => {
    const resource = group.resource as Resource | null | undefined;
    let groupChanged = false;
    const scopes = list(group, scopesField).flatMap((scope) => {
      const records = list(scope, recordsField);
      const rewritten = records.flatMap((record) => rewrite(record as R, resource) ?? []) as Node[];
      if (rewritten.length === records.length && rewritten.every((r, i) => r === records[i])) return [scope];
      groupChanged = true;
      return rewritten.length > 0 ? [{ ...scope, [recordsField]: rewritten }] : [];
    });
    if (!groupChanged) return [group];
    changed = true;
    return scopes.length > 0 ? [{ ...group, [scopesField]: scopes }] : [];
  });
  return changed ? ({ [groupsField]: groups } as Req) : request;
}
