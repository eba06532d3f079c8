// Cuts the bytes read from a file into log records: one per line, or per multiline group
// (line_start_pattern / line_end_pattern), none longer than max_log_size. It works on bytes so
// each record's end is a file offset: the offset stored once the record has been delivered.

export interface SplitOptions {
  decoder: { decode(bytes: Uint8Array): string };
  lineStart?: RegExp;
  lineEnd?: RegExp;
  maxLogSize: number;
}

export interface SplitRecord {
  text: string;
  /** Offset, in the bytes given, just after the record (its newline included). */
  end: number;
}

const NEWLINE = 0x0a;

/** The text of bytes [start, end), without the line break that ends it. */
function textOf(bytes: Buffer, start: number, end: number, options: SplitOptions): string {
  let stop = end;
  if (stop > start && bytes[stop - 1] === NEWLINE) stop--;
  if (stop > start && bytes[stop - 1] === 0x0d) stop--;
  return options.decoder.decode(bytes.subarray(start, stop));
}

/**
 * The records complete in `bytes`; the bytes after the last are left for the next read. With
 * `final` (the file is not growing, or is gone) what is left is a record too.
 */
export function splitRecords(bytes: Buffer, options: SplitOptions, final: boolean): SplitRecord[] {
  const records: SplitRecord[] = [];
  let recordStart = 0;
  const emit = (end: number) => {
    // Longer than max_log_size: cut into pieces of that many bytes, the last with the line break.
    while (end - recordStart > options.maxLogSize + 1) {
      records.push({ text: textOf(bytes, recordStart, recordStart + options.maxLogSize, options), end: recordStart + options.maxLogSize });
      recordStart += options.maxLogSize;
    }
    if (end > recordStart) records.push({ text: textOf(bytes, recordStart, end, options), end });
    recordStart = end;
  };
  let lineStart = 0;
  while (lineStart < bytes.length) {
    const newline = bytes.indexOf(NEWLINE, lineStart);
    if (newline < 0) break;
    const lineEnd = newline + 1;
    if (options.lineStart) {
      // A start line ends the record before it (if any).
      if (lineStart > recordStart && options.lineStart.test(textOf(bytes, lineStart, lineEnd, options))) emit(lineStart);
    } else if (!options.lineEnd || options.lineEnd.test(textOf(bytes, lineStart, lineEnd, options))) {
      emit(lineEnd);
    }
    lineStart = lineEnd;
  }
  if (final) emit(bytes.length);
  // A record growing past max_log_size is cut now rather than held in memory.
  else if (bytes.length - recordStart > options.maxLogSize) emit(recordStart + options.maxLogSize);
  return records;
}
