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

// The gRPC codes OTLP senders retry (the OTLP specification's list); RESOURCE_EXHAUSTED is retried
// too, since rollpoint's servers send it only for load, never for a request too large to take. And a
// refused credential (UNAUTHENTICATED, PERMISSION_DENIED) is the operator's to fix: the data waits
// for the fix rather than being dropped.
const RETRYABLE = new Set<number>([
  status.UNAUTHENTICATED,
  status.PERMISSION_DENIED,
  status.CANCELLED,
  status.DEADLINE_EXCEEDED,
  status.ABORTED,
  status.OUT_OF_RANGE,
  status.UNAVAILABLE,
  status.DATA_LOSS,
  status.RESOURCE_EXHAUSTED,
]);

export const isRetryableGrpcCode = (code: number): boolean => RETRYABLE.has(code);

export const isPermanent = (error: unknown): boolean => error instanceof PermanentError;
