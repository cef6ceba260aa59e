interface Entry<T> {
  value: T;
  seq: number;
}

/**
 * Objects of one type in Stripe's list order: newest `created` first, later insertions first on ties.
 * The sorted view is rebuilt lazily, so seeding thousands of objects costs one sort.
 */
export class Collection<T extends { id: string; created: number }> {
  private readonly entries = new Map<string, Entry<T>>();
  private sorted: T[] | undefined;
  private positions = new Map<string, number>();
  private seq = 0;

  get(id: string): T | undefined {
    return this.entries.get(id)?.value;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  insert(value: T): T {
    this.entries.set(value.id, { value, seq: this.seq++ });
    this.sorted = undefined;
    return value;
  }

  /** Replaces an object in place; its position does not change unless `created` did. */
  replace(value: T): T {
    const entry = this.entries.get(value.id);
    if (entry === undefined) return this.insert(value);
    if (entry.value.created !== value.created) this.sorted = undefined;
    entry.value = value;
    if (this.sorted !== undefined) {
      const position = this.positions.get(value.id);
      if (position !== undefined) this.sorted[position] = value;
    }
    return value;
  }

  remove(id: string): void {
    if (this.entries.delete(id)) this.sorted = undefined;
  }

  /** Everything, newest first. */
  ordered(): readonly T[] {
    if (this.sorted === undefined) {
      const entries = [...this.entries.values()].sort((a, b) => b.value.created - a.value.created || b.seq - a.seq);
      this.sorted = entries.map((entry) => entry.value);
      this.positions = new Map(this.sorted.map((value, index) => [value.id, index]));
    }
    return this.sorted;
  }

  /** Position in `ordered()`, for list cursors. */
  positionOf(id: string): number | undefined {
    this.ordered();
    return this.positions.get(id);
  }
}
