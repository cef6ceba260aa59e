import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Registry } from 'prom-client';
import { createApiRouters } from '../../src/api/server';
import { importWorkflowId } from '../../src/shared/ids';
import { startTestStack, type TestStack } from '../support/stack';
import { testLogger } from '../support/config';

/**
 * Issue 16's critical row: `/INSTALLS/<id>` once ran every admin handler without the token, because the guard was a
 * `router.use()` matched case-sensitively while routes matched case-insensitively. This walk reads the protected
 * routes from the app's own routers (any route that carries the admin guard, and every route under /installs must),
 * sends each one in many spellings without the token, and expects 401 or 404: never a handler's answer.
 */
describe('admin API: every protected route refuses every spelling without the token; import status', function () {
  this.timeout(180_000);
  let stack: TestStack;
  let installId: string;
  let routes: { method: string; template: string }[];
  let unguarded: string[];

  before(async () => {
    // No worker: the install's workflows must not change anything while the walk runs.
    stack = await startTestStack({ worker: false });
    const created = await stack.api('/installs', {
      body: {
        stripe: { apiKey: stack.stripe.keys.live },
        intercom: { accessToken: stack.intercom.createWorkspace().token },
      },
    });
    assert.equal(created.status, 202, await created.clone().text());
    installId = ((await created.json()) as { id: string }).id;

    const { routers, requireAdmin } = createApiRouters({
      config: stack.config,
      pool: stack.service.pool,
      temporal: stack.service.temporal,
      logger: testLogger(),
      metrics: new Registry(),
    });
    const layers = routers.flatMap((router) => router.stack).filter((layer) => layer.methods.length > 0);
    const isAdminPath = (layer: (typeof layers)[number]) => String(layer.path).startsWith('/installs');
    unguarded = layers
      .filter((layer) => isAdminPath(layer) && !layer.stack.includes(requireAdmin))
      .map((layer) => `${layer.methods.join(',')} ${String(layer.path)}`);
    routes = layers
      .filter((layer) => isAdminPath(layer) || layer.stack.includes(requireAdmin))
      .flatMap((layer) => layer.methods.map((method) => ({ method, template: String(layer.path) })));
  });

  after(async () => {
    for await (const execution of stack.service.temporal.workflow.list({
      query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'`,
    })) {
      await stack.service.temporal.workflow
        .getHandle(execution.workflowId)
        .terminate('test over')
        .catch(() => undefined);
    }
    await stack?.close();
  });

  const concrete = (template: string) => template.replace(':id', installId);

  it('finds the whole admin API in the routers (create, status, failures, drift, resync, credentials, disable)', () => {
    const found = new Set(routes.map((route) => `${route.method} ${route.template}`));
    for (const expected of [
      'POST /installs',
      'GET /installs/:id',
      'HEAD /installs/:id',
      'GET /installs/:id/failures',
      'GET /installs/:id/drift',
      'POST /installs/:id/drift',
      'GET /installs/:id/drift/:jobId',
      'POST /installs/:id/resync',
      'PUT /installs/:id/credentials',
      'DELETE /installs/:id',
    ]) {
      assert.ok(found.has(expected), `${expected} is among the guarded routes (${[...found].join('; ')})`);
    }
  });

  it('guards each admin route on the route itself, not through a prefix middleware', () => {
    assert.deepEqual(unguarded, []);
  });

  it('answers the canonical spelling with the token (so a refusal below is the guard, not a missing install)', async () => {
    const status = await stack.api(`/installs/${installId}`);
    assert.equal(status.status, 200);
  });

  it('refuses every route in every spelling without a valid token: 401 or 404, and nothing changes', async () => {
    const seen: string[] = [];
    for (const route of routes) {
      const path = concrete(route.template);
      for (const [label, spelled] of spellings(path, installId)) {
        for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${stack.config.ADMIN_TOKEN}`]) {
          const response = await rawRequest(stack.service.apiUrl, route.method, spelled, authorization);
          const what = `${route.method} ${spelled} (${label}, ${authorization ?? 'no authorization'})`;
          seen.push(what);
          if (label === 'canonical') assert.equal(response.status, 401, what);
          else assert.ok([401, 404].includes(response.status), `${what} answered ${response.status}`);
        }
      }
    }
    assert.ok(seen.length >= 8 * 10 * 3, `walked ${seen.length} requests`);

    const install = await stack.api(`/installs/${installId}`);
    const body = (await install.json()) as { state: string };
    assert.notEqual(body.state, 'disabled', 'no spelling disabled the install');
    const counts = await stack.db.pool.query<{ installs: string; imports: string }>(
      'SELECT (SELECT count(*) FROM installs) AS installs, (SELECT count(*) FROM imports) AS imports',
    );
    assert.deepEqual(counts.rows[0], { installs: '1', imports: '1' }, 'no install created, no resync started');
  });

  // Issue 16 (low): after a failed import the status still said `running`.
  it('shows an import whose workflow ended without completing as ended, not running', async () => {
    const before = (await (await stack.api(`/installs/${installId}`)).json()) as { import: { status: string } };
    assert.equal(before.import.status, 'running');
    await stack.service.temporal.workflow.getHandle(importWorkflowId(installId)).terminate('operator stopped it');
    const after = (await (await stack.api(`/installs/${installId}`)).json()) as {
      import: { status: string; finishedAt: string | null };
    };
    assert.equal(after.import.status, 'canceled');
    assert.ok(after.import.finishedAt);
  });
});

/** The same path as a router, a proxy or a client might spell it; the id itself is left as it is. */
function spellings(path: string, id: string): [string, string][] {
  const segments = path.split('/').slice(1);
  const respell = (change: (segment: string) => string) =>
    '/' + segments.map((segment) => (segment === id || segment === '' ? segment : change(segment))).join('/');
  const encodeFirst = (segment: string) => `%${segment.charCodeAt(0).toString(16)}${segment.slice(1)}`;
  return [
    ['canonical', path],
    ['upper case', respell((segment) => segment.toUpperCase())],
    ['capitalised', respell((segment) => segment[0]!.toUpperCase() + segment.slice(1))],
    ['first letter percent-encoded', respell(encodeFirst)],
    [
      'upper-case letter percent-encoded',
      respell((segment) => encodeFirst(segment[0]!.toUpperCase() + segment.slice(1))),
    ],
    ['leading double slash', `/${path}`],
    ['inner double slash', path.replace('/installs', '/installs/')],
    ['trailing slash', `${path}/`],
    ['dot segment', path.replace('/installs', '/./installs')],
    ['parent segment', `/x/..${path}`],
    ['encoded slash', path.replace('/installs/', '/installs%2F')],
  ];
}

/** The path exactly as spelled: `fetch` would resolve dot segments and re-encode before sending. */
function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  authorization: string | undefined,
): Promise<{ status: number }> {
  const { hostname, port } = new URL(baseUrl);
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        hostname,
        port,
        method,
        path,
        headers: {
          ...(authorization && { authorization }),
          // Node sends a DELETE body neither chunked nor with a length unless told.
          ...(hasBody && { 'content-type': 'application/json', 'content-length': '2' }),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(hasBody ? '{}' : undefined);
  });
}
