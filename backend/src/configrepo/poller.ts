import type { Logger } from 'pino';
import { queryDecoded } from '../store/row-decoder.js';
import type { Row, Store } from '../store/store.js';
import type { DeviceOfFile } from './device-files.js';
import type { ConfigRepository } from './repository.js';
import { storedCommitsQuery } from './stored-commits.js';

// Learns the config revisions of the devices from the config repository: every commit of the
// branch that changed a device's file becomes a row of config_commits (device, commit, time,
// author, message, the file's blob), read again every poll interval. The changes view lists them
// as changes; the checkpoint names the revision to restore from them.

/**
 * Commits are read back to this long before the newest one stored: the branch is walked by
 * committer time, which a rebased or cherry-picked commit has later than its author time.
 */
const SINCE_MARGIN_SECONDS = 86_400;

export class ConfigCommitPoller {
  /** Commits read or stored already. */
  private readonly known = new Set<string>();
  /** Unix s: the newest commit time known. */
  private latest: number | undefined;
  /** The branch's commit at the last poll. */
  private head: string | undefined;
  private loaded = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly repository: ConfigRepository,
    private readonly deviceOf: DeviceOfFile,
    private readonly logger: Logger,
  ) {}

  /** Reads the commits not stored yet and stores those that changed a device's config; how many rows it stored. */
  async poll(): Promise<number> {
    if (!this.loaded) {
      const [stored] = await queryDecoded(this.store, storedCommitsQuery());
      for (const commit of stored?.commits ?? []) this.known.add(commit);
      if (stored && stored.commits.length > 0) this.latest = stored.latest;
      this.loaded = true;
    }
    const head = await this.repository.head();
    if (head === undefined || head === this.head) return 0;
    const commits = (await this.repository.commits(this.latest === undefined ? undefined : this.latest - SINCE_MARGIN_SECONDS)).filter((c) => !this.known.has(c.commit));
    const rows: Row[] = commits.flatMap((c) =>
      c.files.flatMap(({ path, blob }) => {
        const device = this.deviceOf(path);
        return device === undefined ? [] : [{ time: new Date(c.time * 1000).toISOString(), device, path, commit: c.commit, blob, author: c.author, message: c.message }];
      }),
    );
    if (rows.length > 0) await this.store.insert('config_commits', rows);
    for (const c of commits) {
      this.known.add(c.commit);
      this.latest = Math.max(this.latest ?? c.time, c.time);
    }
    this.head = head;
    if (rows.length > 0) this.logger.info({ revisions: rows.length, commits: commits.length, head }, 'device config revisions read from the config repository');
    return rows.length;
  }

  /** Polls now and then every `intervalMs`; a failed poll is logged and tried again at the next. */
  start(intervalMs: number): void {
    const run = () => {
      this.polling = this.poll()
        .catch((err: unknown) => this.logger.warn({ err }, 'reading the config repository failed; trying again at the next poll'))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(run, intervalMs).unref();
        });
    };
    this.timer = setTimeout(run, 0).unref();
  }

  /** Stops polling, after the poll under way. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }
}
