import { ApiError } from './errors';
import { newAccessToken, newWorkspaceId } from './ids';
import { type Region, Workspace } from './workspace';

export interface CreateWorkspaceOptions {
  id?: string;
  name?: string;
  region?: Region;
  /** A fixed token (CLI, demo); by default a random one is issued. */
  token?: string;
}

export interface WorkspaceCredentials {
  workspaceId: string;
  token: string;
}

/** Workspaces and the access tokens that open them. */
export class Registry {
  private readonly workspaces = new Map<string, Workspace>();
  private readonly tokens = new Map<string, Workspace>();

  createWorkspace(options: CreateWorkspaceOptions, nowMs: number): WorkspaceCredentials {
    const id = options.id ?? newWorkspaceId();
    if (this.workspaces.has(id)) throw new ApiError(409, 'conflict', `Workspace ${id} already exists`);
    const token = options.token ?? newAccessToken();
    if (this.tokens.has(token)) throw new ApiError(409, 'conflict', 'That token already opens another workspace');
    const workspace = new Workspace(id, options.name ?? `Workspace ${id}`, options.region ?? 'US', nowMs);
    this.workspaces.set(id, workspace);
    this.tokens.set(token, workspace);
    return { workspaceId: id, token };
  }

  /** Another token for an existing workspace (an OAuth install). */
  issueToken(workspaceId: string): string {
    const token = newAccessToken();
    this.tokens.set(token, this.get(workspaceId));
    return token;
  }

  revokeToken(token: string): boolean {
    return this.tokens.delete(token);
  }

  forToken(token: string): Workspace | undefined {
    return this.tokens.get(token);
  }

  get(workspaceId: string): Workspace {
    const workspace = this.workspaces.get(workspaceId);
    if (!workspace) throw new ApiError(404, 'not_found', `Workspace ${workspaceId} not found`);
    return workspace;
  }

  list(): Workspace[] {
    return [...this.workspaces.values()];
  }
}
