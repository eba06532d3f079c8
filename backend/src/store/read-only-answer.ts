import { type QueryResult, type ReadOnlyAnswer, StoreError } from './store.js';

/**
 * The format analysts' statements are answered in, on both drivers: a line of column names, a line
 * of types, then one JSON array per row. Rows arrive as text that goes to the client as it is.
 */
export const READ_ONLY_FORMAT = 'JSONCompactEachRowWithNamesAndTypes';

const NEWLINE = 0x0a;
const COMMA = Buffer.from(',');

const notInFormat = (start: Buffer): StoreError =>
  new StoreError(`ClickHouse did not answer in ${READ_ONLY_FORMAT} as asked; its answer began: ${start.subarray(0, 200).toString()}`, undefined);

/** The column names or types from one header line, or undefined when the line is not a JSON array of strings. */
function headerLine(line: Buffer): string[] | undefined {
  try {
    const values: unknown = JSON.parse(line.toString());
    return Array.isArray(values) && values.every((v) => typeof v === 'string') ? values : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The rows of an answer in READ_ONLY_FORMAT, as the JSON text of array elements: every newline that
 * ends a row becomes the comma before the next one. Stopping it (return()) stops the source.
 */
class JsonRows implements AsyncIterableIterator<Buffer> {
  // A row ended at the end of the previous chunk; the next one needs a comma first.
  private rowEnded = false;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private rest: Buffer | undefined,
    private readonly convert: (err: unknown) => StoreError,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Buffer>> {
    for (;;) {
      let chunk = this.rest;
      this.rest = undefined;
      if (chunk === undefined) {
        const read = await this.source.next().catch((err: unknown) => {
          throw this.convert(err);
        });
        if (read.done) return { done: true, value: undefined };
        chunk = Buffer.from(read.value.buffer, read.value.byteOffset, read.value.byteLength);
      }
      if (chunk.length > 0) return { done: false, value: this.elements(chunk) };
    }
  }

  async return(): Promise<IteratorResult<Buffer>> {
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  /** Rewrites the chunk in place: newlines between rows become commas, a final one is held back. */
  private elements(chunk: Buffer): Buffer {
    const comma = this.rowEnded;
    this.rowEnded = chunk[chunk.length - 1] === NEWLINE;
    const end = this.rowEnded ? chunk.length - 1 : chunk.length;
    // Strings in JSON carry their newlines escaped, so every newline byte ends a row.
    for (let i = chunk.indexOf(NEWLINE); i !== -1 && i < end; i = chunk.indexOf(NEWLINE, i + 1)) chunk[i] = COMMA[0]!;
    const text = chunk.subarray(0, end);
    return comma ? Buffer.concat([COMMA, text]) : text;
  }
}

/**
 * Reads the two header lines of an answer in READ_ONLY_FORMAT from `source` and returns its columns
 * and the rest of its rows, still unread. An answer with no bytes at all (a statement without a
 * result) has no columns. Errors of the source are turned into StoreErrors with `convert`; on one,
 * or on an answer not in the format, the source is stopped.
 */
export async function readOnlyAnswer(source: AsyncIterator<Uint8Array>, convert: (err: unknown) => StoreError): Promise<ReadOnlyAnswer> {
  let head = Buffer.alloc(0);
  try {
    for (;;) {
      const namesEnd = head.indexOf(NEWLINE);
      const typesEnd = namesEnd === -1 ? -1 : head.indexOf(NEWLINE, namesEnd + 1);
      if (typesEnd !== -1) {
        const names = headerLine(head.subarray(0, namesEnd));
        const types = headerLine(head.subarray(namesEnd + 1, typesEnd));
        if (!names || !types || names.length !== types.length) throw notInFormat(head);
        const columns: QueryResult['columns'] = names.map((name, i) => ({ name, type: types[i]! }));
        return { columns, rows: new JsonRows(source, head.subarray(typesEnd + 1), convert) };
      }
      const read = await source.next();
      if (read.done) {
        if (head.length > 0) throw notInFormat(head);
        return { columns: [], rows: new JsonRows(source, undefined, convert) };
      }
      head = Buffer.concat([head, read.value]);
    }
  } catch (err) {
    await source.return?.();
    throw err instanceof StoreError ? err : convert(err);
  }
}

/** A whole answer read into values, as rollpoint's own queries come back: for tests, which compare rows. */
export async function readWholeAnswer(answer: ReadOnlyAnswer): Promise<QueryResult> {
  const chunks: Buffer[] = [];
  for await (const chunk of answer.rows) chunks.push(chunk);
  return { columns: answer.columns, rows: JSON.parse(`[${Buffer.concat(chunks).toString()}]`) as unknown[][] };
}
