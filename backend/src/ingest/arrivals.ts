/**
 * The earliest event time stored since the recompute loop last asked: data for windows that were
 * already judged (an agent's backlog after an outage, a sender the backend had not met yet) is
 * late, and those windows must be judged again.
 */
export class Arrivals {
  private earliestMs: number | undefined;

  note(eventMs: number | undefined): void {
    if (eventMs !== undefined && (this.earliestMs === undefined || eventMs < this.earliestMs)) this.earliestMs = eventMs;
  }

  /** The earliest event time noted since the last call, and forgets it. */
  take(): number | undefined {
    const earliest = this.earliestMs;
    this.earliestMs = undefined;
    return earliest;
  }
}
