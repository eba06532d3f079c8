import { anyValueCase, scalarAnyValueText, type AnyValue, type KeyValue, type Resource } from '@rollpoint/proto';
import { z } from 'zod';

// The Collector's structured matching (internal/filter/filterconfig), shared by the filter and
// attributes processors: a block of properties that all must match a record, each compared
// exactly (`strict`) or as an unanchored regular expression (`regexp`).

/** An attribute value as YAML writes it. */
export const attributeValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type AttributeValue = z.output<typeof attributeValueSchema>;

/** An attribute to match: its key, and its value (any value matches when absent). */
export const attributeMatchSchema = z.strictObject({ key: z.string().min(1), value: attributeValueSchema.optional() });

const SEVERITY_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** An OTLP SeverityNumber by its name (INFO, warn, ERROR2…; case-insensitive) or number (1–24). */
export const severityNumberSchema = z.union([z.number().int().min(1).max(24), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const [, name, level] = /^([a-z]+)([2-4])?$/i.exec(value) ?? [];
  const band = SEVERITY_NAMES.indexOf(name?.toUpperCase() ?? '');
  if (band < 0) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a severity (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, optionally followed by 2-4, or 1-24)` });
    return z.NEVER;
  }
  return 1 + 4 * band + (level ? Number(level) - 1 : 0);
});

export const severityMatchSchema = z.strictObject({
  /** The lowest SeverityNumber that matches. */
  min: severityNumberSchema,
  /** Whether a record without a severity (SeverityNumber 0) matches. */
  match_undefined: z.boolean().default(false),
});

export type MatchType = 'strict' | 'regexp';

/** What one block matches on, whatever its keys are called in a processor's configuration. */
export interface RecordMatch {
  matchType: MatchType;
  resourceAttributes: ReadonlyArray<z.output<typeof attributeMatchSchema>>;
  recordAttributes: ReadonlyArray<z.output<typeof attributeMatchSchema>>;
  bodies: readonly string[];
  severityTexts: readonly string[];
  severityNumber?: z.output<typeof severityMatchSchema>;
}

/** The parts of a log record or span a block can look at. */
export interface MatchedRecord {
  attributes?: KeyValue[] | null;
  body?: AnyValue | null;
  severityText?: string | null;
  severityNumber?: number | null;
}

/** A Go (RE2) pattern as a JavaScript RegExp: `(?P<name>…)` groups are written `(?<name>…)` there. */
export const compilePattern = (source: string): RegExp => new RegExp(source.replace(/\(\?P</g, '(?<'));

/** Adds an issue for every pattern of `patterns` (by path) that does not compile. */
export function checkPatterns(patterns: ReadonlyArray<[PropertyKey[], string]>, ctx: z.RefinementCtx): void {
  for (const [path, source] of patterns) {
    try {
      compilePattern(source);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path, message: `not a regular expression: ${(error as Error).message}` });
    }
  }
}

/** What each property of a block is called in a processor's configuration. */
export type MatchKeys = Record<'resourceAttributes' | 'recordAttributes' | 'bodies' | 'severityTexts' | 'severityNumber', string>;

/** Checks a block read with `keys`: one property at least, and patterns that compile (reported at their keys). */
function refineRecordMatch(keys: MatchKeys, m: RecordMatch, ctx: z.RefinementCtx): void {
  if (m.resourceAttributes.length + m.recordAttributes.length + m.bodies.length + m.severityTexts.length === 0 && !m.severityNumber) {
    ctx.addIssue({ code: 'custom', message: `set at least one of ${Object.values(keys).join(', ')}` });
  }
  if (m.matchType !== 'regexp') return;
  const attributes = (field: 'resourceAttributes' | 'recordAttributes') =>
    m[field].flatMap((a, i): Array<[PropertyKey[], string]> => (a.value === undefined ? [] : [[[keys[field], i, 'value'], String(a.value)]]));
  const strings = (field: 'bodies' | 'severityTexts') => m[field].map((text, i): [PropertyKey[], string] => [[keys[field], i], text]);
  checkPatterns([...attributes('resourceAttributes'), ...attributes('recordAttributes'), ...strings('bodies'), ...strings('severityTexts')], ctx);
}

/**
 * An include or exclude block whose properties are called `keys` (the filter processor and the
 * attributes processor name them differently): `match_type` plus attribute lists, string lists and
 * a severity, each optional, read into a RecordMatch.
 */
export function recordMatchSchema(keys: MatchKeys) {
  return z
    .strictObject({
      match_type: z.enum(['strict', 'regexp']),
      [keys.resourceAttributes]: z.array(attributeMatchSchema).default([]),
      [keys.recordAttributes]: z.array(attributeMatchSchema).default([]),
      [keys.bodies]: z.array(z.string()).default([]),
      [keys.severityTexts]: z.array(z.string()).default([]),
      [keys.severityNumber]: severityMatchSchema.optional(),
    })
    .transform((block): RecordMatch => {
      const read = <T>(key: string) => block[key] as T;
      const severityNumber = read<RecordMatch['severityNumber']>(keys.severityNumber);
      return {
        matchType: block.match_type as MatchType,
        resourceAttributes: read(keys.resourceAttributes),
        recordAttributes: read(keys.recordAttributes),
        bodies: read(keys.bodies),
        severityTexts: read(keys.severityTexts),
        ...(severityNumber ? { severityNumber } : {}),
      };
    })
    .superRefine((m, ctx) => refineRecordMatch(keys, m, ctx));
}

/** Whether `actual` is `expected` with its type: a string equals a string, a number an int or a double. */
function sameValue(expected: AttributeValue, actual: AnyValue | null | undefined): boolean {
  const kind = anyValueCase(actual);
  if (typeof expected === 'string') return kind === 'stringValue' && actual!.stringValue === expected;
  if (typeof expected === 'boolean') return kind === 'boolValue' && actual!.boolValue === expected;
  return (kind === 'intValue' || kind === 'doubleValue') && Number(scalarAnyValueText(actual)) === expected;
}

type TextTest = (text: string | undefined) => boolean;

/** One test per configured string: equality, or a regular expression found anywhere. */
function textTest(matchType: MatchType, expected: string): TextTest {
  if (matchType === 'strict') return (text) => text === expected;
  const pattern = compilePattern(expected);
  return (text) => text !== undefined && pattern.test(text);
}

function attributesTest(matchType: MatchType, wanted: RecordMatch['recordAttributes']): (attributes: KeyValue[] | null | undefined) => boolean {
  const tests = wanted.map(({ value }) => {
    if (value === undefined) return (kv: KeyValue | undefined) => kv !== undefined;
    if (matchType === 'strict') return (kv: KeyValue | undefined) => kv !== undefined && sameValue(value, kv.value);
    const test = textTest('regexp', String(value));
    return (kv: KeyValue | undefined) => kv !== undefined && test(scalarAnyValueText(kv.value));
  });
  return (attributes) => wanted.every(({ key }, i) => tests[i]!(attributes?.find((kv) => kv.key === key)));
}

/** A test of a record (with its resource) against one block: every property set must match. */
export function compileRecordMatch(match: RecordMatch): (record: MatchedRecord, resource: Resource | null | undefined) => boolean {
  const resource = attributesTest(match.matchType, match.resourceAttributes);
  const record = attributesTest(match.matchType, match.recordAttributes);
  const bodies = match.bodies.map((b) => textTest(match.matchType, b));
  const severityTexts = match.severityTexts.map((s) => textTest(match.matchType, s));
  const severity = match.severityNumber;
  return (r, res) => {
    if (!resource(res?.attributes) || !record(r.attributes)) return false;
    if (bodies.length > 0) {
      const body = anyValueCase(r.body) === 'stringValue' ? r.body!.stringValue! : undefined;
      if (!bodies.some((test) => test(body))) return false;
    }
    if (severityTexts.length > 0 && !severityTexts.some((test) => test(r.severityText ?? ''))) return false;
    if (severity) {
      const n = r.severityNumber ?? 0;
      if (n === 0 ? !severity.match_undefined : n < severity.min) return false;
    }
    return true;
  };
}

/** Whether a record is processed (kept, or acted on): it matches `include` when given and not `exclude` when given. */
export function compileIncludeExclude(include: RecordMatch | undefined, exclude: RecordMatch | undefined) {
  const inc = include && compileRecordMatch(include);
  const exc = exclude && compileRecordMatch(exclude);
  return (record: MatchedRecord, resource: Resource | null | undefined): boolean => (!inc || inc(record, resource)) && (!exc || !exc(record, resource));
}
