import { skippedSummary } from './debian-tools.js';

// Root hooks of `npm test` (.mocharc's `require`): the closing line naming what was skipped.
export const mochaHooks = {
  afterAll(): void {
    const summary = skippedSummary();
    if (summary) process.stdout.write(`\n  ${summary}\n`);
  },
};
