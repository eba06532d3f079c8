import { expect } from 'chai';
import type { ExportLogsServiceRequest } from './otlp.js';
import { logs, traces } from './signals.js';

const request: ExportLogsServiceRequest = {
  resourceLogs: [
    { resource: { attributes: [{ key: 'host.name', value: { stringValue: 'a' } }] }, scopeLogs: [{ scope: { name: 's1' }, logRecords: [{ eventName: '1' }, { eventName: '2' }] }, { scope: { name: 's2' }, logRecords: [{ eventName: '3' }] }] },
    { resource: { attributes: [{ key: 'host.name', value: { stringValue: 'b' } }] }, scopeLogs: [{ scope: { name: 's3' }, logRecords: [{ eventName: '4' }, { eventName: '5' }] }] },
  ],
};

/** [host, scope, record] for every record, in order. */
const flatten = (r: ExportLogsServiceRequest) =>
  r.resourceLogs!.flatMap((rl) => rl.scopeLogs!.flatMap((sl) => sl.logRecords!.map((l) => [rl.resource!.attributes![0]!.value!.stringValue, sl.scope!.name, l.eventName])));

describe('signal helpers', function () {
  it('counts and merges records across resources and scopes', function () {
    expect(logs.countRecords(request)).to.equal(5);
    expect(logs.countRecords(logs.merge([request, request]))).to.equal(10);
    expect(traces.countRecords({})).to.equal(0);
  });

  it('halves a request at its middle record, keeping each record’s resource and scope', function () {
    const [first, second] = logs.halve(request)!;
    expect(flatten(first)).to.deep.equal([
      ['a', 's1', '1'],
      ['a', 's1', '2'],
    ]);
    expect(flatten(second)).to.deep.equal([
      ['a', 's2', '3'],
      ['b', 's3', '4'],
      ['b', 's3', '5'],
    ]);
    expect(logs.halve({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}] }] }] })).to.equal(undefined);
  });

  it('gives a resource to every group that lacks one, so processors can add to it', function () {
    const bare: ExportLogsServiceRequest = { resourceLogs: [{ scopeLogs: [] }] };
    logs.resources(bare)[0]!.attributes!.push({ key: 'k', value: { stringValue: 'v' } });
    expect(bare.resourceLogs![0]!.resource!.attributes).to.have.length(1);
  });
});
