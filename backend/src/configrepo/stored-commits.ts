import { type DecodedQuery, number, strings } from '../store/row-decoder.js';

// What config_commits already holds: the commits stored, and the newest of their times.

export const storedCommitsQuery = (): DecodedQuery<{ commits: string[]; latest: number }> => ({
  sql: 'SELECT groupUniqArray(commit) AS commits, toUnixTimestamp(max(time)) AS latest FROM config_commits',
  params: {},
  decoder: { commits: strings('commits'), latest: number('latest') },
});
