// A list that is filled by a state machine and emptied by its owner in one go (drainOutgoing(),
// drainEvents(), drainQueries()): what was taken is never seen again.
export class Outbox<T> {
  private items: T[] = [];

  push(...items: T[]): void {
    this.items.push(...items);
  }

  drain(): T[] {
    const out = this.items;
    this.items = [];
    return out;
  }
}
