import { z } from 'zod';

// The Collector's filterset (`<list>: [...]`, `match_type: strict | regexp`), which the filesystem,
// disk and network scrapers take to include or exclude devices, mount points and interfaces.
// As there, a regexp matches anywhere in the name unless anchored.

const names = z.array(z.string().min(1)).min(1);
const matchType = z.enum(['strict', 'regexp']);

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** A filterset schema listing its names under `key` (devices, fs_types, mount_points, interfaces). */
export function filterSet<K extends string>(key: K) {
  const shape = { [key]: names, match_type: matchType } as Record<K, typeof names> & { match_type: typeof matchType };
  return z.strictObject(shape).superRefine((set, ctx) => {
    const parsed = set as unknown as FilterSet<K>;
    if (parsed.match_type !== 'regexp') return;
    parsed[key].forEach((pattern, i) => {
      if (!isRegExp(pattern)) ctx.addIssue({ code: 'custom', path: [key, i], message: `"${pattern}" is not a regular expression` });
    });
  });
}

/** A parsed filterset: its names under `K`, and how they match. */
export type FilterSet<K extends string> = Record<K, string[]> & { match_type: 'strict' | 'regexp' };

function matcher<K extends string>(set: FilterSet<K>, key: K): (name: string) => boolean {
  if (set.match_type === 'strict') {
    const listed = new Set(set[key]);
    return (name) => listed.has(name);
  }
  const patterns = set[key].map((pattern) => new RegExp(pattern));
  return (name) => patterns.some((pattern) => pattern.test(name));
}

/** Whether a name passes: matched by `include` (when given) and not by `exclude` (when given). */
export function nameFilter<K extends string>(key: K, include: FilterSet<K> | undefined, exclude: FilterSet<K> | undefined): (name: string) => boolean {
  const included = include ? matcher(include, key) : () => true;
  const excluded = exclude ? matcher(exclude, key) : () => false;
  return (name) => included(name) && !excluded(name);
}
