// Splits a syslog TCP/TLS stream into messages. Each frame is either octet-counted (RFC 6587
// §3.4.1, "<length> <message>") or ends at LF (§3.4.2); the form is detected per frame from its
// first byte, as rsyslog does, so one connection may mix both. A message over `maxBytes` is cut
// there and the rest of it skipped: the stream never loses its framing because of one long message.

export interface Frame {
  bytes: Buffer;
  /** The message was longer than maxBytes and has been cut. */
  truncated: boolean;
}

const LF = 0x0a;
const SPACE = 0x20;
const MAX_LENGTH_DIGITS = 10;
const isDigit = (byte: number | undefined): boolean => byte !== undefined && byte >= 0x30 && byte <= 0x39;
const isBlank = (byte: number | undefined): boolean => byte === LF || byte === 0x0d || byte === 0x00;

/** Cuts `bytes` at most at `max`, backing off so as not to split a UTF-8 character. */
export function cutAtCharBoundary(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  // 10xxxxxx is a continuation byte: the character it belongs to started before it.
  while (end > 0 && max - end < 3 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

export class SyslogFramer {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes still to skip of an over-long octet-counted frame, or 'line' to skip to the next LF. */
  private skipping: number | 'line' | 0 = 0;

  constructor(private readonly maxBytes: number) {}

  /** Feeds received bytes; returns the messages they complete. */
  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (!this.skip()) break;
      let start = 0;
      while (isBlank(this.buffer[start])) start++;
      this.buffer = this.buffer.subarray(start);
      if (this.buffer.length === 0) break;
      const frame = isDigit(this.buffer[0]) ? this.octetCounted() : this.lineFramed();
      if (frame === undefined) break;
      frames.push(frame);
    }
    return frames;
  }

  /** The connection closed: a last message without its LF (or a cut-off counted one) is still a message. */
  end(): Frame[] {
    const rest = this.skipping === 0 ? this.buffer : Buffer.alloc(0);
    this.buffer = Buffer.alloc(0);
    if (rest.length === 0) return [];
    const counted = /^(\d{1,10}) /.exec(rest.subarray(0, MAX_LENGTH_DIGITS + 1).toString('latin1'));
    const body = counted ? rest.subarray(counted[0].length) : rest;
    return body.length === 0 ? [] : [{ bytes: cutAtCharBoundary(body, this.maxBytes), truncated: counted !== null || body.length > this.maxBytes }];
  }

  /** Drops bytes being skipped; false when the buffer ran out first. */
  private skip(): boolean {
    if (this.skipping === 'line') {
      const lf = this.buffer.indexOf(LF);
      if (lf < 0) {
        this.buffer = Buffer.alloc(0);
        return false;
      }
      this.buffer = this.buffer.subarray(lf + 1);
      this.skipping = 0;
    } else if (this.skipping > 0) {
      const dropped = Math.min(this.skipping, this.buffer.length);
      this.buffer = this.buffer.subarray(dropped);
      this.skipping -= dropped;
      if (this.skipping > 0) return false;
    }
    return true;
  }

  /** "<length> <message>"; undefined: wait for more bytes. */
  private octetCounted(): Frame | undefined {
    let digits = 0;
    while (isDigit(this.buffer[digits])) digits++;
    if (digits === this.buffer.length && digits <= MAX_LENGTH_DIGITS) return undefined;
    if (digits > MAX_LENGTH_DIGITS || this.buffer[digits] !== SPACE) return this.lineFramed();
    const length = Number(this.buffer.subarray(0, digits).toString('latin1'));
    const start = digits + 1;
    if (length <= this.maxBytes) {
      if (this.buffer.length < start + length) return undefined;
      const bytes = this.buffer.subarray(start, start + length);
      this.buffer = this.buffer.subarray(start + length);
      return { bytes, truncated: false };
    }
    if (this.buffer.length < start + this.maxBytes) return undefined;
    const bytes = cutAtCharBoundary(this.buffer.subarray(start, start + this.maxBytes + 1), this.maxBytes);
    this.buffer = this.buffer.subarray(start + this.maxBytes);
    this.skipping = length - this.maxBytes;
    return { bytes: Buffer.from(bytes), truncated: true };
  }

  /** A message ending at LF; one longer than maxBytes is cut and the rest of its line skipped. */
  private lineFramed(): Frame | undefined {
    const lf = this.buffer.indexOf(LF);
    const lineEnd = lf < 0 ? this.buffer.length : lf;
    if (lineEnd > this.maxBytes) {
      const bytes = Buffer.from(cutAtCharBoundary(this.buffer.subarray(0, this.maxBytes + 1), this.maxBytes));
      if (lf < 0) {
        this.buffer = Buffer.alloc(0);
        this.skipping = 'line';
      } else {
        this.buffer = this.buffer.subarray(lf + 1);
      }
      return { bytes, truncated: true };
    }
    if (lf < 0) return undefined;
    const end = lf > 0 && this.buffer[lf - 1] === 0x0d ? lf - 1 : lf;
    const bytes = this.buffer.subarray(0, end);
    this.buffer = this.buffer.subarray(lf + 1);
    return { bytes, truncated: false };
  }
}
