import { existsSync } from 'node:fs';
import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';

// A git repository of device configs read with isomorphic-git (pure JavaScript: no git command,
// no network): the commits of a branch with the files each changed, and a file's text at a blob.

/** A commit of the branch, with the files it changed against its first parent (added or modified; deletions left out). */
export interface RepositoryCommit {
  commit: string;
  /** The author's time, Unix s: when the config was fetched or written. */
  time: number;
  author: string;
  message: string;
  files: Array<{ path: string; blob: string }>;
}

export class ConfigRepository {
  private readonly gitdir: string;

  /** `path`: a work tree (its .git folder is read) or a bare repository. */
  constructor(
    path: string,
    private readonly branch: string = 'HEAD',
  ) {
    this.gitdir = existsSync(join(path, '.git')) ? join(path, '.git') : path;
    if (!existsSync(join(this.gitdir, 'HEAD'))) throw new Error(`${path} is not a git repository (no .git folder, and no HEAD of a bare repository)`);
  }

  /** The commit the branch is at; undefined while it has none (a repository Oxidized has not written to yet). */
  async head(): Promise<string | undefined> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: this.branch });
    } catch (err) {
      if (err instanceof git.Errors.NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * The branch's commits, newest first, with the files each changed; from `sinceSeconds` on (by
   * committer time) when given.
   */
  async commits(sinceSeconds?: number): Promise<RepositoryCommit[]> {
    const log = await git.log({ fs, gitdir: this.gitdir, ref: this.branch, includeChanges: true, cache: {}, ...(sinceSeconds === undefined ? {} : { since: new Date(sinceSeconds * 1000) }) });
    return log.map(({ oid, commit }) => ({
      commit: oid,
      time: commit.author.timestamp,
      author: commit.author.name || commit.author.email,
      message: commit.message.trimEnd(),
      files: (commit.changes ?? []).flatMap(([blob, , path]) => (blob && path ? [{ path, blob }] : [])),
    }));
  }

  /** The text of a blob: a config as it was at some commit. */
  async text(blob: string): Promise<string> {
    const { blob: bytes } = await git.readBlob({ fs, gitdir: this.gitdir, oid: blob });
    return Buffer.from(bytes).toString('utf8');
  }
}
