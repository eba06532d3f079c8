// Parses a scrape's body: the Prometheus text format (0.0.4) and OpenMetrics 1.0 text.
//
// Written here rather than taken from npm: of the parsers there, parse-prometheus-text-format
// (unmaintained since 2019) folds every label set of a histogram into one point and drops its sum
// and count, and reads OpenMetrics exemplars as timestamps; prom2javascript and
// @platformatic/promotel match lines with regular expressions that refuse NaN, -Inf and colons in
// names, or skip bad lines silently. None knows OpenMetrics (`_total`/`_created` samples, UNIT,
// exemplars, `# EOF`). A scrape that does not parse whole is refused with the line at fault.

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** Label names and values in the order the target wrote them. */
export type Labels = Array<[name: string, value: string]>;

export interface Exemplar {
  labels: Labels;
  value: number;
  timestampMs?: number;
}

export interface Sample {
  /** The sample's own name, e.g. http_requests_total or rpc_seconds_bucket. */
  name: string;
  labels: Labels;
  value: number;
  timestampMs?: number;
  exemplar?: Exemplar;
}

export interface MetricFamily {
  name: string;
  type: FamilyType;
  help: string;
  unit: string;
  samples: Sample[];
}

export class ExpositionError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'ExpositionError';
  }
}

/** The sample name suffixes each family type has ('' is the family's own name). */
const SUFFIXES: Record<FamilyType, readonly string[]> = {
  // The text format names a counter's family after its sample (foo_total); OpenMetrics names it foo.
  counter: ['', '_total', '_created'],
  gauge: [''],
  unknown: [''],
  stateset: [''],
  info: ['_info'],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum', '_created'],
  summary: ['', '_count', '_sum', '_created'],
};
const ALL_SUFFIXES = [...new Set(Object.values(SUFFIXES).flat())].filter((s) => s !== '');

const TYPES: Record<ExpositionFormat, Readonly<Record<string, FamilyType>>> = {
  prometheus: { counter: 'counter', gauge: 'gauge', histogram: 'histogram', summary: 'summary', untyped: 'unknown' },
  openmetrics: {
    counter: 'counter',
    gauge: 'gauge',
    histogram: 'histogram',
    gaugehistogram: 'gaugehistogram',
    summary: 'summary',
    info: 'info',
    stateset: 'stateset',
    unknown: 'unknown',
  },
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A float as Prometheus writes them: decimal, NaN, +Inf, -Inf (any case). */
function parseNumber(token: string): number | undefined {
  if (/^[+-]?inf(inity)?$/i.test(token)) return token.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(token)) return NaN;
  return DECIMAL.test(token) ? Number(token) : undefined;
}

/** Undoes the escapes of a label value or HELP text; `quote` says whether \" is one. */
function unescape(text: string, quote: boolean): string | undefined {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === '"' && quote) out += '"';
    else return undefined;
  }
  return out;
}

/** Reads one sample line (or an exemplar's part of one) from left to right. */
class LineReader {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly lineNumber: number,
  ) {}

  fail(message: string): never {
    throw new ExpositionError(this.lineNumber, `${message}: ${this.text.length > 200 ? `${this.text.slice(0, 200)}…` : this.text}`);
  }

  get done(): boolean {
    return this.at >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.at];
  }

  skipBlanks(): number {
    const start = this.at;
    while (this.peek() === ' ' || this.peek() === '\t') this.at++;
    return this.at - start;
  }

  expect(char: string): void {
    if (this.peek() !== char) this.fail(`expected "${char}"`);
    this.at++;
  }

  match(pattern: RegExp, what: string): string {
    const found = pattern.exec(this.text.slice(this.at));
    if (!found) this.fail(`expected ${what}`);
    this.at += found[0].length;
    return found[0];
  }

  /** Up to the next blank or the end. */
  token(): string {
    const start = this.at;
    while (!this.done && this.peek() !== ' ' && this.peek() !== '\t') this.at++;
    return this.text.slice(start, this.at);
  }

  labels(): Labels {
    const labels: Labels = [];
    const seen = new Set<string>();
    this.expect('{');
    for (;;) {
      this.skipBlanks();
      if (this.peek() === '}') break;
      const name = this.match(LABEL_NAME, 'a label name');
      this.skipBlanks();
      this.expect('=');
      this.skipBlanks();
      this.expect('"');
      const start = this.at;
      while (!this.done && this.peek() !== '"') this.at += this.peek() === '\\' ? 2 : 1;
      if (this.done) this.fail('label value without its closing quote');
      const value = unescape(this.text.slice(start, this.at), true);
      if (value === undefined) this.fail(`label ${name}: an escape other than \\\\, \\" or \\n`);
      this.at++;
      if (seen.has(name)) this.fail(`label ${name} given twice`);
      seen.add(name);
      labels.push([name, value]);
      this.skipBlanks();
      if (this.peek() === ',') this.at++;
      else if (this.peek() !== '}') this.fail('expected "," or "}" after a label');
    }
    this.at++;
    return labels;
  }

  number(what: string): number {
    const token = this.token();
    const value = parseNumber(token);
    if (value === undefined) this.fail(`${what} "${token}" is not a number`);
    return value;
  }
}

function parseTimestampMs(reader: LineReader, format: ExpositionFormat): number {
  const ms = format === 'openmetrics' ? reader.number('timestamp') * 1000 : reader.number('timestamp');
  if (!Number.isFinite(ms) || (format === 'prometheus' && !Number.isInteger(ms))) reader.fail('the timestamp is not a finite number of milliseconds');
  return ms;
}

function parseSample(line: string, lineNumber: number, format: ExpositionFormat): Sample {
  const reader = new LineReader(line, lineNumber);
  const name = reader.match(NAME, 'a metric name');
  const labels = reader.peek() === '{' ? reader.labels() : [];
  if (reader.skipBlanks() === 0) reader.fail('expected a blank before the value');
  const sample: Sample = { name, labels, value: reader.number('value') };
  reader.skipBlanks();
  if (!reader.done && reader.peek() !== '#') sample.timestampMs = parseTimestampMs(reader, format);
  reader.skipBlanks();
  if (reader.done) return sample;
  if (format !== 'openmetrics') reader.fail('unexpected text after the sample');
  reader.expect('#');
  reader.skipBlanks();
  const exemplar: Exemplar = { labels: reader.labels(), value: NaN };
  reader.skipBlanks();
  exemplar.value = reader.number('exemplar value');
  reader.skipBlanks();
  if (!reader.done) exemplar.timestampMs = parseTimestampMs(reader, format);
  reader.skipBlanks();
  if (!reader.done) reader.fail('unexpected text after the exemplar');
  sample.exemplar = exemplar;
  return sample;
}

/** The format a scrape's Content-Type names: OpenMetrics, or else the Prometheus text format. */
export const formatOf = (contentType: string | undefined): ExpositionFormat =>
  contentType?.trim().toLowerCase().startsWith('application/openmetrics-text') ? 'openmetrics' : 'prometheus';

/** Parses an exposition into its metric families, in the order they appear; throws ExpositionError. */
export function parseExposition(text: string, format: ExpositionFormat): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  const typed = new Set<string>();
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (!found) {
      found = { name, type: 'unknown', help: '', unit: '', samples: [] };
      families.set(name, found);
    }
    return found;
  };
  const familyOfSample = (name: string): MetricFamily => {
    const own = families.get(name);
    if (own && SUFFIXES[own.type].includes('')) return own;
    for (const suffix of ALL_SUFFIXES) {
      if (!name.endsWith(suffix) || name === suffix) continue;
      const base = families.get(name.slice(0, -suffix.length));
      if (base && SUFFIXES[base.type].includes(suffix)) return base;
    }
    return own ?? family(name);
  };

  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let ended = false;
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = format === 'openmetrics' ? lines[i]! : lines[i]!.trim();
    if (ended) throw new ExpositionError(lineNumber, 'text after # EOF');
    if (line === '') {
      if (format === 'openmetrics') throw new ExpositionError(lineNumber, 'empty line (OpenMetrics has none)');
      continue;
    }
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE|UNIT)\s+([^\s]+)(?:\s(.*))?$/.exec(line);
      if (line === '# EOF' && format === 'openmetrics') {
        ended = true;
        continue;
      }
      if (!meta || (meta[1] === 'UNIT' && format !== 'openmetrics')) continue; // a comment
      const [, keyword, name, rest = ''] = meta;
      if (!NAME.test(name!) || NAME.exec(name!)![0] !== name) throw new ExpositionError(lineNumber, `"${name}" is not a metric name`);
      const target = family(name!);
      if (keyword === 'TYPE') {
        const type = TYPES[format][rest.trim()];
        if (!type) throw new ExpositionError(lineNumber, `unknown metric type "${rest.trim()}"`);
        if (typed.has(name!)) throw new ExpositionError(lineNumber, `a second TYPE for ${name}`);
        if (target.samples.length > 0) throw new ExpositionError(lineNumber, `TYPE for ${name} after its samples`);
        typed.add(name!);
        target.type = type;
      } else if (keyword === 'HELP') {
        const help = unescape(rest, format === 'openmetrics');
        if (help === undefined) throw new ExpositionError(lineNumber, 'HELP text with an unknown escape');
        target.help = help;
      } else {
        target.unit = rest.trim();
      }
      continue;
    }
    const sample = parseSample(line, lineNumber, format);
    familyOfSample(sample.name).samples.push(sample);
  }
  if (format === 'openmetrics' && !ended) throw new ExpositionError(lines.length, 'no # EOF at the end: the exposition was cut short');
  return [...families.values()].filter((f) => f.samples.length > 0);
}
