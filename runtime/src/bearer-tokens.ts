import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Checks "Bearer <token>" values against named tokens ({agent-a: "…"}) and returns the name, never
 * the token: counters and logs name who sent, and no secret reaches them. Tokens are compared as
 * SHA-256 digests, which all have one length, with timingSafeEqual against every known token: a
 * wrong token tells nothing about the right ones, not even their lengths.
 */
export function createBearerTokenCheck(tokens: Readonly<Record<string, string>>): (authorization: string | undefined) => string | undefined {
  const known = Object.entries(tokens).map(([name, token]) => [name, digest(token)] as const);
  return (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const given = digest(match[1]!);
    let found: string | undefined;
    for (const [name, token] of known) {
      if (timingSafeEqual(token, given)) found = name;
    }
    return found;
  };
}
