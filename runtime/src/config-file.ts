import { readFileSync } from 'node:fs';
import parseDuration from 'parse-duration';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** A configuration that cannot be used; each problem starts with the path of the bad key. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

// ${env:NAME} as in the Collector's configuration; $${ stays a literal ${.
const ENV_REFERENCE = /\$(\$?)\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces ${env:NAME} in every string value (after parsing, so a value cannot change the YAML's shape). */
function expandEnv(value: unknown, path: string, missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REFERENCE, (whole, escaped: string, name: string) => {
      if (escaped) return whole.slice(1);
      const found = process.env[name];
      if (found === undefined) missing.push(`${path}: environment variable ${name} is not set`);
      return found ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => expandEnv(item, `${path}.${i}`, missing));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandEnv(item, path ? `${path}.${key}` : key, missing)]));
  }
  return value;
}

/** Reads a YAML file (an absent path means "all defaults"), expanding ${env:NAME} in its values. */
export function readYamlFile(path: string | undefined): unknown {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`${path}: ${(err as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`${path}: not valid YAML: ${(err as Error).message}`]);
  }
  const missing: string[] = [];
  const expanded = expandEnv(parsed, '', missing);
  if (missing.length > 0) throw new ConfigError(missing);
  return expanded;
}

const joinPath = (parts: readonly PropertyKey[]): string => parts.map(String).join('.') || '(top level)';

/** Turns zod's issues into "a.b.c: message" lines, one per unknown key. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${joinPath([...prefix, ...issue.path, key])}: unknown key`)
      : [`${joinPath([...prefix, ...issue.path])}: ${issue.message}`],
  );
}

/** Validates `raw` against `schema`, filling defaults; throws ConfigError naming every bad path. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, prefix: readonly PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(result.error.issues, prefix));
  return result.data;
}

/** What parseConfig would refuse `raw` for, one line per bad path; none when it is valid. */
export function configProblems(schema: z.ZodType, raw: unknown): string[] {
  const result = schema.safeParse(raw);
  return result.success ? [] : describeIssues(result.error.issues);
}

/** A duration as the Collector writes them ("200ms", "5s", "1m30s") or a number of milliseconds. */
export const durationMs = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const ms = parseDuration(value);
  if (ms === null || ms === undefined || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (e.g. 200ms, 5s, 1m)` });
    return z.NEVER;
  }
  return ms;
});

/** host:port, as in the Collector's `endpoint` settings. */
export const endpoint = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:]*):\d{1,5}$/, { message: 'must be host:port, e.g. 0.0.0.0:4317', abort: true })
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

/** Splits host:port for Node's listen(). */
export function splitEndpoint(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  const host = value.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host: host || '0.0.0.0', port: Number(value.slice(colon + 1)) };
}
