import { readFileSync } from 'node:fs';
import { marked } from 'marked';
import { REPO_ROOT } from './paths.js';

// The shell commands the README gives a user, read from its markdown, so the test that runs them
// runs what the README says today.

export interface ReadmeCommand {
  /** The heading the command's block sits under. */
  section: string;
  /** One command as it is typed: a line, with its backslash-continued lines. */
  command: string;
}

/** The commands of the `sh` blocks under the headings `sections`, in the README's order. */
export function readmeCommands(sections: readonly string[], markdown: string = readFileSync(`${REPO_ROOT}README.md`, 'utf8')): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  let section = '';
  for (const token of marked.lexer(markdown)) {
    if (token.type === 'heading') section = token.text;
    if (token.type !== 'code' || token.lang !== 'sh' || !sections.includes(section)) continue;
    // A newline ends a command unless a backslash escapes it, as in the shell.
    for (const command of token.text.split(/(?<!\\)\n/)) if (command.trim() !== '') commands.push({ section, command });
  }
  return commands;
}
