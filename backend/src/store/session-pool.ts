import { Session } from 'chdb';

// chdb runs one statement at a time per connection; rollpoint's independent queries (an incident's
// checkpoint beside the checkpoint now, the incidents of a recompute) run at once on a few of them.

/** Up to `size` connections, opened as needed with `open` and kept; a caller finding all busy waits for one. */
export class SessionPool {
  private readonly sessions: Session[] = [];
  private readonly idle: Session[] = [];
  private readonly waiting: Array<(session: Session) => void> = [];

  constructor(
    private readonly open: () => Session,
    private readonly size: number,
  ) {}

  /** Runs `work` on a connection of its own. */
  async use<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const session = this.idle.pop() ?? (this.sessions.length < this.size ? this.opened() : await new Promise<Session>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(session);
    } finally {
      const next = this.waiting.shift();
      if (next) next(session);
      else this.idle.push(session);
    }
  }

  private opened(): Session {
    const session = this.open();
    this.sessions.push(session);
    return session;
  }

  close(): void {
    for (const session of this.sessions) session.close();
  }
}
