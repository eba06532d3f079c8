import { expect } from 'chai';
import { splitRecords, type SplitOptions } from './record-splitter.js';

const options = (extra: Partial<SplitOptions> = {}): SplitOptions => ({ decoder: new TextDecoder('utf-8'), maxLogSize: 1024, ...extra });
const texts = (bytes: string, o: SplitOptions, final = false) => splitRecords(Buffer.from(bytes), o, final).map((r) => [r.text, r.end]);

describe('filelog record splitter', function () {
  it('makes a record of each whole line, leaving a line without its newline until final', function () {
    expect(texts('a\r\nbb\nccc', options())).to.deep.equal([['a', 3], ['bb', 6]]);
    expect(texts('a\r\nbb\nccc', options(), true)).to.deep.equal([['a', 3], ['bb', 6], ['ccc', 9]]);
    expect(texts('', options(), true)).to.deep.equal([]);
  });

  it('groups lines from one line_start_pattern match to the next (a stack trace is one record)', function () {
    const lineStart = /^\d{4}-/;
    const log = '2026-12-01 ERROR boom\n  at a()\n  at b()\n2026-12-01 INFO ok\n  tail\n';
    expect(texts(log, options({ lineStart }))).to.deep.equal([['2026-12-01 ERROR boom\n  at a()\n  at b()', 40]]);
    expect(texts(log, options({ lineStart }), true)).to.deep.equal([
      ['2026-12-01 ERROR boom\n  at a()\n  at b()', 40],
      ['2026-12-01 INFO ok\n  tail', log.length],
    ]);
  });

  it('ends a record at each line_end_pattern match', function () {
    expect(texts('a\nb;\nc\nd;\ne\n', options({ lineEnd: /;$/ }))).to.deep.equal([['a\nb;', 5], ['c\nd;', 10]]);
  });

  it('cuts records longer than max_log_size into pieces, losing nothing, even before their newline', function () {
    const o = options({ maxLogSize: 4 });
    expect(texts('abcdefghij\nxy\n', o)).to.deep.equal([['abcd', 4], ['efgh', 8], ['ij', 11], ['xy', 14]]);
    expect(texts('abcdefghij', o)).to.deep.equal([['abcd', 4]]);
  });

  it('decodes the encoding given (Latin-1)', function () {
    expect(splitRecords(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), options({ decoder: new TextDecoder('latin1') }), false)[0]!.text).to.equal('café');
  });
});
