import { z } from 'zod';

// The `api` section of the backend configuration: the tokens /api/v1 takes, each with a role and
// optionally limited to scopes. Tokens may also come from the environment (API_TOKENS_ENV).

/** What a token may do; each role includes the ones before it. */
export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const apiTokenSchema = z.strictObject({
  /** Names the token in the audit log, metrics and messages; the token itself is never shown. */
  name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - (at most 64)'),
  /** Sent as "authorization: Bearer <token>"; `${env:NAME}` reads it from an environment variable. */
  token: z.string().min(16, 'must be at least 16 characters'),
  /** read: incidents, checkpoints, changes, timeline, SQL; write: also markers and recompute; admin: also backups, status, audit. */
  role: z.enum(ROLES),
  /** Only these scopes' incidents, checkpoints, changes and timeline; SQL only over rollpoint's tables. Absent: every scope. */
  scopes: z.array(z.string().min(1)).min(1).optional(),
});

export type ApiTokenConfig = z.output<typeof apiTokenSchema>;

export const apiConfigSchema = z.strictObject({ tokens: z.array(apiTokenSchema).default([]) }).prefault({});

/** Holds more tokens as JSON, in the form of api.tokens: [{"name": …, "token": …, "role": …, "scopes": […]}]. */
export const API_TOKENS_ENV = 'ROLLPOINT_API_TOKENS';

/** The name http.api_token goes by: a token from before roles, which could do everything. */
export const LEGACY_TOKEN_NAME = 'api_token';

export interface TokenProblem {
  /** Index in the list checked, and the key at fault. */
  path: (string | number)[];
  message: string;
}

/** What is wrong across tokens: a name or a token given twice, a scope that is not configured. */
export function tokenProblems(tokens: readonly ApiTokenConfig[], scopes: readonly string[]): TokenProblem[] {
  const problems: TokenProblem[] = [];
  const names = new Set<string>();
  const secrets = new Set<string>();
  tokens.forEach((token, i) => {
    if (names.has(token.name)) problems.push({ path: [i, 'name'], message: `two tokens are named "${token.name}": give each its own name` });
    // One token under two roles would make the role depend on the order of the list.
    if (secrets.has(token.token)) problems.push({ path: [i, 'token'], message: 'the same token is given twice: give each entry its own token' });
    names.add(token.name);
    secrets.add(token.token);
    token.scopes?.forEach((scope, j) => {
      if (!scopes.includes(scope)) problems.push({ path: [i, 'scopes', j], message: `unknown scope "${scope}" (configured: ${scopes.join(', ')})` });
    });
  });
  return problems;
}
