import assert from 'node:assert/strict';
import { installStatusSchema, type InstallStatusAnswer } from '../../src/status/schema';
import { installThroughApi, seedImportScenario, waitForImport } from '../support/import-scenario';
import { eventually, startTestStack, type TestStack } from '../support/stack';

describe('status API: the page model, a stopped install and its way back', function () {
  this.timeout(300_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack();
  });
  after(async () => stack?.close());

  const status = async (installId: string): Promise<InstallStatusAnswer> => {
    const response = await stack.api(`/installs/${installId}`);
    assert.equal(response.status, 200);
    return installStatusSchema.parse(await response.json());
  };

  it('a stopped install says why and how to fix it; Resync refuses in words; new credentials resume it', async () => {
    const scenario = seedImportScenario(stack, { customers: 150, seed: 31, preexistingUsers: 10 });
    const installId = await installThroughApi(stack, scenario.token);
    await waitForImport(stack, installId);
    const live = await status(installId);
    assert.equal(live.progress?.phase, 'done');
    assert.equal(live.progress?.percent, 100);
    assert.equal(live.progress?.totalBasis, 'final');
    assert.deepEqual(live.health, { label: 'Healthy', tone: 'good' });
    assert.equal(live.runs.length, 1);
    assert.equal(live.runs[0]?.kind, 'import');
    assert.equal(live.runs[0]?.outcome, 'completed');

    // The Intercom token is revoked; the next write meets a 401 and stops the install.
    stack.intercom.revokeToken(scenario.token);
    const customer = stack.stripe.admin.state().customers.find((c) => c.email) as { id: string };
    stack.stripe.admin.updateCustomer(customer.id, { name: 'Renamed after the revocation' });
    const stopped = await eventually(
      async () => {
        const current = await status(installId);
        return current.state === 'failed' ? current : undefined;
      },
      60_000,
      'the install to stop',
    );
    assert.deepEqual(stopped.health, { label: 'Needs attention', tone: 'bad' });
    assert.equal(stopped.notices[0]?.key, 'intercom_rejected');
    assert.equal(stopped.notices[0]?.fix, 'reconnect_intercom');
    assert.match(stopped.notices[0]?.text ?? '', /^Intercom rejected the access token \(401\)/);

    const refused = await stack.api(`/installs/${installId}/resync`, { method: 'POST' });
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(refused.status, 409);
    assert.equal(body.error.code, 'install_stopped');
    assert.match(body.error.message, /Intercom rejected the access token.*PUT \/installs\/ins_[^/]+\/credentials/);

    // A token of another workspace is refused, and changes nothing.
    const other = stack.intercom.createWorkspace({ name: 'Another workspace' });
    const wrong = await stack.api(`/installs/${installId}/credentials`, {
      method: 'PUT',
      body: { intercom: { accessToken: other.token } },
    });
    assert.equal(wrong.status, 422);
    assert.equal((await status(installId)).state, 'failed', 'a refused credential changes nothing');

    const newToken = stack.intercom.issueToken(scenario.workspaceId);
    const rotated = await stack.api(`/installs/${installId}/credentials`, {
      method: 'PUT',
      body: { intercom: { accessToken: newToken } },
    });
    assert.equal(rotated.status, 200, await rotated.text());
    const resumed = await eventually(
      async () => {
        const current = await status(installId);
        return current.state === 'live' && current.runs.length === 2 && current.progress?.phase === 'done'
          ? current
          : undefined;
      },
      120_000,
      'the resync after reconnecting to complete',
    );
    assert.equal(resumed.lastError, null);
    assert.equal(resumed.runs[0]?.kind, 'resync');
    assert.equal(resumed.runs[0]?.outcome, 'completed');
    assert.equal(resumed.progress?.kind, 'resync');
    assert.ok((resumed.progress?.contactsWritten ?? 0) >= 1, 'the change made while stopped reached Intercom');
  });
});
