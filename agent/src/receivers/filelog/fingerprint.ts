import type { FileHandle } from 'node:fs/promises';

// A file is known by its first bytes (the Collector's fingerprint), not its name: renamed by a
// rotation it is the same file; truncated and written anew (copytruncate) it is a new one.

/** The first `size` bytes of the file (fewer when it is shorter). */
export async function readFingerprint(file: FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.alloc(size);
  const { bytesRead } = await file.read(buffer, 0, size, 0);
  return buffer.subarray(0, bytesRead);
}

/** Whether a file whose first bytes are `current` is the file once fingerprinted as `known` (since grown). */
export const isSameFile = (known: Buffer, current: Buffer): boolean =>
  known.length > 0 && current.length >= known.length && current.subarray(0, known.length).equals(known);
