import { expect } from 'chai';
import { withSection } from './report-section.js';

describe('bench: one section of the report rewritten', function () {
  const report = '# Benchmarks\n\n## Spans\n\nspans\n\n## Disk per row\n\ndisk\n';

  it('puts a new section before the heading it belongs before', function () {
    expect(withSection(report, '## Metrics', '## Metrics\n\nfirst', '## Disk per row')).to.equal('# Benchmarks\n\n## Spans\n\nspans\n\n## Metrics\n\nfirst\n\n## Disk per row\n\ndisk\n');
  });

  it('replaces the section up to the next heading of its level, its own subsections with it', function () {
    const once = withSection(report, '## Metrics', '## Metrics\n\nfirst\n\n### Sub\n\nsub', '## Disk per row');
    expect(withSection(once, '## Metrics', '## Metrics\n\nsecond', '## Disk per row')).to.equal('# Benchmarks\n\n## Spans\n\nspans\n\n## Metrics\n\nsecond\n\n## Disk per row\n\ndisk\n');
  });

  it('replaces a last section to the end, and adds one at the end when its neighbour is missing', function () {
    expect(withSection('# B\n\n## Metrics\n\nold\n', '## Metrics', '## Metrics\n\nnew', '## Disk per row')).to.equal('# B\n\n## Metrics\n\nnew\n');
    expect(withSection('# B\n', '## Metrics', '## Metrics\n\nnew', '## Disk per row')).to.equal('# B\n\n## Metrics\n\nnew\n');
  });
});
