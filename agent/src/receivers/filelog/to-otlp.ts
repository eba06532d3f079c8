import { basename } from 'node:path';
import { ATTR_ROLLPOINT_PARSE_ERROR, type ExportLogsServiceRequest, type KeyValue, type LogRecord } from '@rollpoint/proto';
import Long from 'long';
import { toRequest } from '../internal/log-buffer.js';
import type { FilelogConfig } from './config.js';
import { parseJsonLine } from './json-parser.js';
import type { SplitRecord } from './record-splitter.js';
import { syslogLineRecord } from './syslog-parser.js';

// A filelog batch as an OTLP request: one record per line (or multiline group), with the file's
// name and path as attributes, parsed when an operator says so. A host a syslog line names is its
// resource's host.name; other records get the agent's from the resource processor.

export const SCOPE_FILELOG = 'rollpoint/filelog';

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

/** The request for records of the file at `path`, read at `readMs`. */
export function filelogRequest(config: FilelogConfig, path: string, records: readonly SplitRecord[], readMs: number): ExportLogsServiceRequest {
  const observed = Long.fromNumber(readMs, true).multiply(1_000_000);
  const attributes: KeyValue[] = [];
  if (config.include_file_name) attributes.push(kv('log.file.name', basename(path)));
  if (config.include_file_path) attributes.push(kv('log.file.path', path));
  return toRequest(
    records.map((record) => toLogRecord(config, record.text, attributes, observed, readMs)),
    SCOPE_FILELOG,
  );
}

function toLogRecord(config: FilelogConfig, text: string, fileAttributes: KeyValue[], observed: Long, readMs: number): { hostName: string; record: LogRecord } {
  const record: LogRecord = { timeUnixNano: Long.UZERO, observedTimeUnixNano: observed, body: { stringValue: text }, attributes: fileAttributes };
  const parser = config.operators[0];
  if (!parser) return { hostName: '', record };
  if (parser.type === 'syslog_parser') {
    const parsed = syslogLineRecord(text, parser, readMs);
    parsed.record.attributes = [...fileAttributes, ...parsed.record.attributes!];
    return parsed;
  }
  // Kept whole when it does not parse, as the Collector's on_error: send.
  const parsed = parseJsonLine(text);
  if (!parsed.ok) record.attributes = [...fileAttributes, kv(ATTR_ROLLPOINT_PARSE_ERROR, parsed.error)];
  else if (parser.parse_to === 'body') record.body = { kvlistValue: { values: parsed.fields } };
  else record.attributes = [...fileAttributes, ...parsed.fields];
  return { hostName: '', record };
}
