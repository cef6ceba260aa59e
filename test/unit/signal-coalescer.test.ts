import assert from 'node:assert/strict';
import { SignalCoalescer } from '../../src/webhooks/signal-coalescer';
import type { StripeEventRef } from '../../src/shared/messages';

const ref = (eventId: string): StripeEventRef => ({ eventId, customerId: 'cus_a', refresh: true });

/** A send whose calls are recorded and settled by the test. */
function controlledSend() {
  const calls: { installId: string; refs: string[]; settle: (err?: Error) => void }[] = [];
  const send = (installId: string, refs: StripeEventRef[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ installId, refs: refs.map((r) => r.eventId), settle: (err) => (err ? reject(err) : resolve()) });
    });
  return { calls, send };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('signal coalescer', () => {
  it('sends the first ref at once and joins those arriving meanwhile into the next signal', async () => {
    const { calls, send } = controlledSend();
    const coalescer = new SignalCoalescer(send);
    const first = coalescer.signal('ins_1', ref('evt_1'));
    const second = coalescer.signal('ins_1', ref('evt_2'));
    const third = coalescer.signal('ins_1', ref('evt_3'));
    await tick();
    assert.deepEqual(
      calls.map((call) => call.refs),
      [['evt_1']],
    );
    calls[0]?.settle();
    await first;
    await tick();
    assert.deepEqual(
      calls.map((call) => call.refs),
      [['evt_1'], ['evt_2', 'evt_3']],
    );
    calls[1]?.settle();
    await Promise.all([second, third]);
  });

  it('fails exactly the callers whose signal failed; the next ones are still sent', async () => {
    const { calls, send } = controlledSend();
    const coalescer = new SignalCoalescer(send);
    const first = coalescer.signal('ins_1', ref('evt_1'));
    await tick();
    const second = coalescer.signal('ins_1', ref('evt_2'));
    calls[0]?.settle(new Error('temporal down'));
    await assert.rejects(first, /temporal down/);
    await tick();
    calls[1]?.settle();
    await second;
    assert.deepEqual(
      calls.map((call) => call.refs),
      [['evt_1'], ['evt_2']],
    );
  });

  it('keeps installs apart: one install waiting never holds another back', async () => {
    const { calls, send } = controlledSend();
    const coalescer = new SignalCoalescer(send);
    void coalescer.signal('ins_1', ref('evt_1'));
    void coalescer.signal('ins_2', ref('evt_2'));
    await tick();
    assert.deepEqual(
      calls.map((call) => [call.installId, call.refs]),
      [
        ['ins_1', ['evt_1']],
        ['ins_2', ['evt_2']],
      ],
    );
    for (const call of calls) call.settle();
  });
});
