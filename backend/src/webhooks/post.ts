import { createHmac } from 'node:crypto';

// One signed POST of a notification, and what its answer means for a retry.

export const SIGNATURE_HEADER = 'x-rollpoint-signature';
export const TIMESTAMP_HEADER = 'x-rollpoint-timestamp';
export const DELIVERY_HEADER = 'x-rollpoint-delivery';
export const EVENT_HEADER = 'x-rollpoint-event';

/** "sha256=<hex>": HMAC-SHA256 with the secret over "<timestamp>.<body>", so a replayed body with a new timestamp does not verify. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface PostResult {
  ok: boolean;
  /** Whether another attempt can help: timeouts, connection errors, 408, 429 and 5xx. */
  retryable: boolean;
  /** 0 when no answer came. */
  httpStatus: number;
  error: string;
}

export interface SignedPost {
  url: string;
  body: string;
  deliveryId: string;
  event: string;
  secret?: string;
  timeoutMs: number;
}

export async function postSigned(request: SignedPost): Promise<PostResult> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'rollpoint-backend',
    [DELIVERY_HEADER]: request.deliveryId,
    [EVENT_HEADER]: request.event,
    [TIMESTAMP_HEADER]: timestamp,
    ...(request.secret ? { [SIGNATURE_HEADER]: signature(request.secret, timestamp, request.body) } : {}),
  };
  try {
    const response = await fetch(request.url, { method: 'POST', headers, body: request.body, signal: AbortSignal.timeout(request.timeoutMs), redirect: 'error' });
    // The body is not needed, but reading it lets the connection be reused.
    const text = await response.text();
    if (response.ok) return { ok: true, retryable: false, httpStatus: response.status, error: '' };
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    return { ok: false, retryable, httpStatus: response.status, error: `HTTP ${response.status}: ${text.slice(0, 200)}` };
  } catch (err) {
    const error = err as Error;
    const cause = (error.cause as Error | undefined)?.message;
    return { ok: false, retryable: true, httpStatus: 0, error: error.name === 'TimeoutError' ? `no answer within ${request.timeoutMs} ms` : `${error.message}${cause ? `: ${cause}` : ''}` };
  }
}
