import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { DEBIAN_TOOLS } from './debian-tools.js';
import { REPO_ROOT } from './paths.js';

// What the tests drive is what CI installs and what the README tells a developer to install: a tool
// added to a test but not to these lists would skip everywhere, CI included, or fail there.
describe('the Debian packages of the full suite', function () {
  const packages = [...new Set(DEBIAN_TOOLS.map((tool) => tool.package))];

  it('are all installed by .ci/run', function () {
    const line = /^packages=\(([^)]*)\)/m.exec(readFileSync(`${REPO_ROOT}.ci/run`, 'utf8'));
    expect(line, ".ci/run's packages=(…) line").to.not.equal(null);
    expect(line![1]!.split(/\s+/)).to.include.members(packages);
  });

  it("are all named in the README's apt-get install line", function () {
    const line = /suite uses `apt-get install ([^`]*)`/.exec(readFileSync(`${REPO_ROOT}README.md`, 'utf8'));
    expect(line, "the README's apt-get install line").to.not.equal(null);
    expect(line![1]!.split(/\s+/)).to.include.members(packages);
  });
});
