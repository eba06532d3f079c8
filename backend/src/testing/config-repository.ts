import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';

// A real git repository of device configs for tests, as Oxidized keeps one: a file per device,
// each commit at a set time by a set author. Test data, not the backend's API: its tests import it
// by path, e2e tests through the package's testing/config-repository entry.

export interface ConfigCommit {
  /** Unix ms; the author's and committer's time. */
  timeMs: number;
  author: string;
  message: string;
  /** Path → new content; null removes the file. */
  files: Readonly<Record<string, string | null>>;
}

export class TestConfigRepository {
  private constructor(readonly dir: string) {}

  /** An empty repository (branch main) in `dir`, a folder that exists. */
  static async create(dir: string): Promise<TestConfigRepository> {
    await git.init({ fs, dir, defaultBranch: 'main' });
    return new TestConfigRepository(dir);
  }

  /** Writes and stages the files, commits them; the commit id. */
  async commit({ timeMs, author, message, files }: ConfigCommit): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      const file = join(this.dir, path);
      if (content === null) {
        fs.rmSync(file);
        await git.remove({ fs, dir: this.dir, filepath: path });
      } else {
        fs.mkdirSync(dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
        await git.add({ fs, dir: this.dir, filepath: path });
      }
    }
    const who = { name: author, email: `${author}@example.net`, timestamp: Math.floor(timeMs / 1000), timezoneOffset: 0 };
    return git.commit({ fs, dir: this.dir, message, author: who, committer: who });
  }
}
