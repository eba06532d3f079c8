import { join } from 'node:path';
import { readPosition } from '../internal/position-file.js';

// Where a journald receiver keeps the cursor of the last entry the pipeline took, in the agent's
// data folder (saved as position-file.ts says). An empty file means "from the oldest entry"
// (start_at end on a journal that had none).

/** The cursor file of receiver `id` (e.g. "journald/system") under `dataDir`. */
export const cursorPath = (dataDir: string, id: string): string => join(dataDir, 'journald', `${id.replaceAll('/', '_')}.cursor`);

/** The stored cursor; "" for "from the oldest entry"; undefined when none is stored. */
export const readCursor = async (path: string): Promise<string | undefined> => (await readPosition(path))?.trim();
