import type { JournaldConfig } from './config.js';

/**
 * The journalctl command line for `config`, going on after `cursor` (the last entry the pipeline
 * took) when there is one. --merge reads every journal of the folder and every boot: without it
 * --follow keeps to the current boot, which a folder of another host's journals does not have.
 */
export function journalctlArgs(config: JournaldConfig, cursor: string | undefined): string[] {
  const args = ['--output=json', '--follow', '--merge', '--all', '--no-pager', `--priority=${config.priority}`];
  if (config.directory) args.push(`--directory=${config.directory}`);
  for (const file of config.files ?? []) args.push(`--file=${file}`);
  for (const unit of config.units) args.push(`--unit=${unit}`);
  if (cursor) args.push(`--after-cursor=${cursor}`, '--no-tail');
  else args.push(config.start_at === 'beginning' ? '--no-tail' : '--lines=0');
  // Matches of one map are ANDed (fields differ) and the maps ORed by "+".
  config.matches.forEach((match, i) => {
    if (i > 0) args.push('+');
    for (const [field, value] of Object.entries(match)) args.push(`${field}=${value}`);
  });
  return args;
}
