// The agent's watermark: a time before which everything the agent received has been delivered to
// the backend. It is reckoned in receive time, the only clock the agent can vouch for: each stage
// that holds data not yet delivered (a call in flight through the pipeline, a receiver's buffer,
// the disk queue) reports the receive time of the oldest thing it holds, and the watermark is the
// earliest of those, or now when nothing is held. The backend compares it with window ends to
// tell complete windows from ones still in flight.

/** Receive time (Unix ms) of the oldest data a stage holds, or undefined when it holds none. */
export type OldestHeld = () => number | undefined;

export class Watermark {
  private readonly stages = new Set<OldestHeld>();

  track(stage: OldestHeld): void {
    this.stages.add(stage);
  }

  /** Everything received before the result (Unix ms) has been delivered. */
  current(now: number = Date.now()): number {
    let watermark = now;
    for (const stage of this.stages) {
      const oldest = stage();
      if (oldest !== undefined && oldest < watermark) watermark = oldest;
    }
    return watermark;
  }
}

/** A stage of calls in flight: what `run` is given counts as held from the call until it settles. */
export class CallsInFlight {
  private readonly started = new Map<number, number>();
  private next = 0;

  readonly oldest: OldestHeld = () => {
    // Map iteration follows insertion, so the first entry is the oldest call still running.
    for (const startedAt of this.started.values()) return startedAt;
    return undefined;
  };

  async run<T>(work: () => Promise<T>): Promise<T> {
    const id = this.next++;
    this.started.set(id, Date.now());
    try {
      return await work();
    } finally {
      this.started.delete(id);
    }
  }
}
