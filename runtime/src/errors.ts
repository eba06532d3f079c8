import { status } from '@grpc/grpc-js';

/**
 * An error that retrying cannot mend (the data itself was refused). Anything else that fails on the
 * way to the backend is taken to be passing, and retried.
 */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** Bytes that are not a well-formed OTLP request: truncated, a bad wire type, invalid UTF-8 in a string field. */
export class UndecodableError extends PermanentError {
  constructor(message: string) {
    super(message);
    this.name = 'UndecodableError';
  }
}

/**
 * A refusal for load that says when to come back: OTLP servers answer it with RESOURCE_EXHAUSTED
 * carrying RetryInfo (gRPC) or 429 with Retry-After (HTTP), the form OTLP senders honour.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

// The gRPC codes OTLP senders retry (the OTLP specification's list). RESOURCE_EXHAUSTED is not in
// it: the specification retries it only when the server sent RetryInfo, which the exporter checks
// itself. A refused credential (UNAUTHENTICATED, PERMISSION_DENIED) is retried too: it is the
// operator's to fix, and the data waits in the queue for the fix rather than being dead-lettered.
const RETRYABLE = new Set<number>([
  status.UNAUTHENTICATED,
  status.PERMISSION_DENIED,
  status.CANCELLED,
  status.DEADLINE_EXCEEDED,
  status.ABORTED,
  status.OUT_OF_RANGE,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

export const isRetryableGrpcCode = (code: number): boolean => RETRYABLE.has(code);

export const isPermanent = (error: unknown): boolean => error instanceof PermanentError;
