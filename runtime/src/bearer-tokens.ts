import { timingSafeEqual } from 'node:crypto';

/**
 * Checks "Bearer <token>" values against named tokens ({agent-a: "…"}) and returns the name, never
 * the token: counters and logs name who sent, and no secret reaches them. Comparison takes the
 * same time whatever the token, so a wrong one tells nothing about the right ones.
 */
export function createBearerTokenCheck(tokens: Readonly<Record<string, string>>): (authorization: string | undefined) => string | undefined {
  const known = Object.entries(tokens).map(([name, token]) => [name, Buffer.from(token)] as const);
  return (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const given = Buffer.from(match[1]!);
    let found: string | undefined;
    for (const [name, token] of known) {
      if (token.length === given.length && timingSafeEqual(token, given)) found = name;
    }
    return found;
  };
}
