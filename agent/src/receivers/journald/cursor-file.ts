import { join } from 'node:path';
import { PositionFile } from '../internal/position-file.js';

// Where a journald receiver keeps the cursor of the last entry the pipeline took, and that of the
// batch on its way, in the agent's data folder (two phases, as position-file.ts says). The cursor ""
// means "from the oldest entry" (start_at end on a journal that had none); none stored, the first run.

/** The cursor file of receiver `id` (e.g. "journald/system") under `dataDir`. */
export const cursorFile = (dataDir: string, id: string): PositionFile<string | undefined, string> =>
  // An older agent saved the bare cursor.
  new PositionFile(join(dataDir, 'journald', `${id.replaceAll('/', '_')}.cursor`), id, (text) => text.trim());
