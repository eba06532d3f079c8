import type { ExportMeta } from '@rollpoint/runtime';
import { type DecodedQuery, number, queryDecoded, text } from '../store/row-decoder.js';
import type { Row, Store } from '../store/store.js';

// Each source's latest watermark, kept in memory and written to source_watermarks every second
// (one small insert, not one per export). A source is an agent (by its id), whose watermark it
// reports itself, or a direct OTLP sender (by its token name, else its address), whose watermark is
// the latest event time it sent, never ahead of the backend's clock.

export type SourceKind = 'agent' | 'sender';

export interface SourceState {
  kind: SourceKind;
  watermarkMs: number;
  lastSeenMs: number;
}

const FLUSH_INTERVAL_MS = 1000;

/** What source_watermarks holds: each source's latest state. */
const storedWatermarksQuery = (): DecodedQuery<SourceState & { source: string }> => ({
  sql: 'SELECT source, kind, toUnixTimestamp64Milli(watermark) AS watermark_ms, toUnixTimestamp64Milli(last_seen) AS last_seen_ms FROM source_watermarks FINAL',
  params: {},
  decoder: {
    source: text('source'),
    kind: (row) => text('kind')(row) as SourceKind,
    watermarkMs: number('watermark_ms'),
    lastSeenMs: number('last_seen_ms'),
  },
});

const peerHost = (peer: string | undefined): string | undefined => (peer === undefined ? undefined : peer.replace(/^ipv[46]:/, '').replace(/:\d+$/, ''));

const isoMs = (ms: number): string => new Date(ms).toISOString();

/** Who sent an export: the agent's id, else the sender's token name, else its address. */
export const sourceOf = (meta: ExportMeta | undefined): string => meta?.agentId ?? meta?.sender ?? peerHost(meta?.peer) ?? 'unknown';

export class SourceWatermarks {
  private readonly sources = new Map<string, SourceState>();
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store) {}

  /** Reads what earlier runs kept, so a watermark never goes back across a restart. */
  async start(): Promise<void> {
    for (const { source, ...state } of await queryDecoded(this.store, storedWatermarksQuery())) this.sources.set(source, state);
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Notes a stored export: who sent it, and the latest event time in it (Unix ms), if any. */
  observe(meta: ExportMeta | undefined, latestEventMs: number | undefined, now: number = Date.now()): void {
    const agent = meta?.agentId;
    const source = sourceOf(meta);
    const reported = agent !== undefined ? meta?.watermarkMs : latestEventMs;
    const state = this.sources.get(source) ?? { kind: agent !== undefined ? 'agent' : 'sender', watermarkMs: 0, lastSeenMs: 0 };
    if (reported !== undefined) state.watermarkMs = Math.max(state.watermarkMs, Math.min(reported, now));
    state.lastSeenMs = now;
    this.sources.set(source, state);
    this.changed.add(source);
  }

  /** The sources as the backend knows them now. */
  snapshot(): ReadonlyMap<string, Readonly<SourceState>> {
    return this.sources;
  }

  /** Writes the sources that changed since the last flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.changed.size === 0) return;
      const rows: Row[] = [...this.changed].map((source) => {
        const state = this.sources.get(source)!;
        return { source, kind: state.kind, watermark: isoMs(state.watermarkMs), last_seen: isoMs(state.lastSeenMs) };
      });
      this.changed.clear();
      // A failed write is not retried: the next export or heartbeat brings a newer row.
      await this.store.insert('source_watermarks', rows).catch(() => {});
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
