import type { Query } from '../store/store.js';
import { DEFAULT_SCOPE, type Scope } from './config.js';

// A scope as SQL: a condition on (entity_kind, entity) with its patterns as query parameters,
// so neither configuration nor request input is ever spliced into the text.

const ENTITY_KINDS = { services: 'service', hosts: 'host', devices: 'device' } as const;

/** `web-*` -> ^web\-.*$ : a scope pattern as an anchored regular expression. */
export function patternToRegex(pattern: string): string {
  return `^${pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*')}$`;
}

/**
 * The condition selecting a scope's entities, for a table with entity_kind and entity columns;
 * its parameters are named with `prefix`. The default scope (or an empty one) is everything.
 */
export function scopeCondition(scope: Scope | undefined, prefix = 'scope'): Query {
  if (!scope) return { sql: '1', params: {} };
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(ENTITY_KINDS) as Array<[keyof Scope, string]>) {
    if (scope[key].length === 0) continue;
    const name = `${prefix}_${kind}`;
    params[name] = scope[key].map(patternToRegex);
    parts.push(`(entity_kind = '${kind}' AND arrayExists(p -> match(entity, p), {${name}:Array(String)}))`);
  }
  return parts.length === 0 ? { sql: '1', params: {} } : { sql: `(${parts.join(' OR ')})`, params };
}

/** The configured scopes plus `default`, which holds everything unless configured otherwise. */
export function resolveScopes(configured: Readonly<Record<string, Scope>>): ReadonlyMap<string, Scope | undefined> {
  const scopes = new Map<string, Scope | undefined>([[DEFAULT_SCOPE, undefined]]);
  for (const [name, scope] of Object.entries(configured)) scopes.set(name, scope);
  return scopes;
}
