import type { Logger } from 'pino';
import type { Backups } from './backups.js';
import type { BackupsConfig } from './config.js';

/** backups.schedule: a full backup every interval, then (embedded engine) only the `keep` newest kept. */
export class BackupSchedule {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();

  constructor(
    private readonly backups: Backups,
    private readonly schedule: NonNullable<BackupsConfig['schedule']>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.ticking = this.tick();
    }, this.schedule.interval);
    this.timer.unref();
  }

  /** One scheduled backup and the pruning after it; a failure is logged and the next interval tries again. */
  async tick(): Promise<void> {
    try {
      const made = await this.backups.create({ incremental: false });
      this.logger.info({ backup: made.name, bytes: made.size, location: made.location }, 'scheduled backup made');
      if (this.schedule.keep === undefined) return;
      const deleted = await this.backups.prune(this.schedule.keep);
      if (deleted.length > 0) this.logger.info({ deleted: deleted.map((b) => b.name), keep: this.schedule.keep }, 'older backups deleted');
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'scheduled backup failed');
    }
  }

  /** Stops the timer and waits for a backup under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }
}
