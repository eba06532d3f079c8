import { createTwoFilesPatch } from 'diff';
import type { ConfigRevision } from '../checkpoints/api-types.js';
import type { ConfigRepository } from './repository.js';

// The change from the revision a checkpoint restores to the current config, as a unified diff
// (git's a/ b/ file names, three lines of context) of the two blobs.

export async function configDiff(repository: ConfigRepository, from: ConfigRevision, to: ConfigRevision): Promise<string> {
  if (from.blob === to.blob) return '';
  const [before, after] = await Promise.all([repository.text(from.blob), repository.text(to.blob)]);
  return createTwoFilesPatch(`a/${from.path}`, `b/${to.path}`, before, after, from.commit.slice(0, 8), to.commit.slice(0, 8));
}
