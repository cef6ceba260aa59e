/** Requests per endpoint (`'PUT /contacts/:id'`), overall and per workspace: what tests assert call budgets with. */
export class RequestCounts {
  private readonly total = new Map<string, number>();
  private readonly byWorkspace = new Map<string, Map<string, number>>();

  record(endpoint: string, workspaceId: string | undefined): void {
    increment(this.total, endpoint);
    if (workspaceId === undefined) return;
    let counts = this.byWorkspace.get(workspaceId);
    if (!counts) {
      counts = new Map();
      this.byWorkspace.set(workspaceId, counts);
    }
    increment(counts, endpoint);
  }

  /** Every request, or only those made with a token of `workspaceId`. */
  snapshot(workspaceId?: string): Record<string, number> {
    const counts = workspaceId === undefined ? this.total : this.byWorkspace.get(workspaceId);
    return Object.fromEntries(counts ?? []);
  }

  reset(): void {
    this.total.clear();
    this.byWorkspace.clear();
  }
}

function increment(counts: Map<string, number>, endpoint: string): void {
  counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
}
