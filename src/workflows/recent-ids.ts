/** A bounded, insertion-ordered set of ids: remembers the newest `capacity` ids. */
export class RecentIds {
  private readonly ids: Set<string>;

  constructor(
    private readonly capacity: number,
    initial: string[] = [],
  ) {
    this.ids = new Set(initial.slice(-capacity));
  }

  /** Adds the id; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }

  toArray(): string[] {
    return [...this.ids];
  }
}
