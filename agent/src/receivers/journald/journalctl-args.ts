import type { JournaldConfig } from './config.js';

/** Where journalctl begins: after a stored cursor, at the oldest entry, or with what is written from now on. */
export type JournalPosition = { after: string } | 'beginning' | 'end';

/** The arguments that choose the journal and its entries (folder or files, units, priority, matches). */
function selection(config: JournaldConfig): string[] {
  const args = ['--output=json', '--merge', '--all', '--no-pager', `--priority=${config.priority}`];
  if (config.directory) args.push(`--directory=${config.directory}`);
  for (const file of config.files ?? []) args.push(`--file=${file}`);
  for (const unit of config.units) args.push(`--unit=${unit}`);
  return args;
}

/** Matches go last: those of one map are ANDed (their fields differ), the maps ORed by "+". */
function matches(config: JournaldConfig): string[] {
  return config.matches.flatMap((match, i) => [...(i > 0 ? ['+'] : []), ...Object.entries(match).map(([field, value]) => `${field}=${value}`)]);
}

/**
 * The following journalctl's command line. --merge reads every journal of the folder and every
 * boot: without it --follow keeps to the current boot, which a folder of another host's journals
 * does not have.
 */
export function journalctlArgs(config: JournaldConfig, position: JournalPosition): string[] {
  const start = typeof position === 'object' ? [`--after-cursor=${position.after}`, '--no-tail'] : position === 'beginning' ? ['--no-tail'] : ['--lines=0'];
  return [...selection(config), '--follow', ...start, ...matches(config)];
}

/** The command line that prints the newest entry of the selection (where `start_at: end` begins). */
export const lastEntryArgs = (config: JournaldConfig): string[] => [...selection(config), '--lines=1', ...matches(config)];
