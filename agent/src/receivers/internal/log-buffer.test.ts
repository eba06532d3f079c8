import type { ExportLogsServiceRequest } from '@rollpoint/proto';
import { PermanentError } from '@rollpoint/runtime';
import { expect } from 'chai';
import { LogBuffer, type LogBufferOptions } from './log-buffer.js';

const record = (body: string) => ({ body: { stringValue: body } });
const bodies = (r: ExportLogsServiceRequest) => r.resourceLogs!.flatMap((rl) => rl.scopeLogs!.flatMap((sl) => sl.logRecords!.map((l) => l.body!.stringValue)));

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A buffer with one request of up to 10 records in flight, that must neither retry nor give up unless told. */
const buffer = (options: Partial<LogBufferOptions> & Pick<LogBufferOptions, 'consume'>) =>
  new LogBuffer({
    scopeName: 'test',
    maxPending: 10,
    maxBatch: 10,
    maxInFlight: 1,
    onPressure: () => undefined,
    onGiveUp: () => expect.fail('nothing is given up'),
    onRetry: () => expect.fail('nothing is refused'),
    ...options,
  });

describe('log buffer (syslog and trap receivers)', function () {
  it('groups records by device, pauses senders when full and lets them go on when drained', async function () {
    const sent: ExportLogsServiceRequest[] = [];
    const held = gate();
    const pressure: boolean[] = [];
    const full = buffer({
      consume: async (r) => {
        await held.opened;
        sent.push(r);
      },
      maxPending: 4,
      maxBatch: 2,
      onPressure: (paused) => pressure.push(paused),
    });
    for (const [i, host] of ['a', 'b', 'a', 'b', 'a', 'b'].entries()) expect(full.add(host, record(`m${i}`), false)).to.equal(true);
    expect(pressure).to.deep.equal([true]);
    expect(full.add('a', record('udp'), true)).to.equal(false);
    held.open();
    await full.close();
    expect(pressure).to.deep.equal([true, false]);
    expect(sent.flatMap(bodies)).to.have.members(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    // Records that came together go together, in batches of two, one resource per device.
    expect(sent.map((r) => r.resourceLogs!.map((rl) => rl.resource!.attributes![0]!.value!.stringValue))).to.deep.equal([['a', 'b'], ['a', 'b'], ['a', 'b']]);
  });

  it('retries a refused request until it is taken, and gives up only at close', async function () {
    let refusals = 0;
    const retried: string[] = [];
    let givenUp = 0;
    const recovering = buffer({
      consume: async () => {
        if (refusals++ < 2) throw new Error('backend away');
      },
      onGiveUp: (records) => (givenUp += records),
      onRetry: (err) => retried.push(err.message),
    });
    recovering.add('a', record('x'), false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(retried).to.deep.equal(['backend away', 'backend away']);
    await recovering.close();
    expect(givenUp).to.equal(0);

    const failing = buffer({
      consume: async () => {
        throw new Error('gone for good');
      },
      onGiveUp: (records) => (givenUp += records),
      onRetry: () => undefined,
    });
    failing.add('a', record('y'), false);
    failing.add('a', record('z'), false);
    await failing.close();
    expect(givenUp).to.equal(2);
  });

  it('does not retry a request refused for good, so it cannot block the rest', async function () {
    let givenUp = 0;
    const sent: string[] = [];
    const poisoned = buffer({
      consume: async (r) => {
        const [body] = bodies(r);
        if (body === 'poison') throw new PermanentError('INVALID_ARGUMENT');
        sent.push(body!);
      },
      maxBatch: 1,
      onGiveUp: (records) => (givenUp += records),
      onRetry: () => expect.fail('a permanent refusal is not retried'),
    });
    for (const body of ['poison', 'fine']) poisoned.add('a', record(body), false);
    await poisoned.close();
    expect([givenUp, sent]).to.deep.equal([1, ['fine']]);
  });
});
