// `npm run pack`: the packed build for a server install without Docker (docs/DEPLOYMENT.md, "A
// server without Docker"). It writes one archive, rollpoint-<version>.tar.gz, holding a folder
// with the `npm pack` tarball of every workspace an install needs (the root's dependencies and the
// workspaces they depend on), a package.json depending on those tarballs, and a package-lock.json
// that pins every other package at the version the repository's lockfile has, so a server runs
// what was tested here. Unpacked anywhere, `npm install` in that folder makes
// node_modules/.bin/rollpoint-agent, rollpoint-backend and rollpoint.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { REPO_ROOT } from './testing/paths.js';

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

/** What `npm pack --json` says of each tarball it wrote. */
interface Packed {
  name: string;
  filename: string;
}

/** Runs npm in `cwd` and returns what it printed on stdout; its notices go to our stderr. */
const npm = (cwd: string, args: readonly string[]): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** The workspaces `root` needs at run time: its dependencies that are workspaces, and theirs, transitively. */
function shippedWorkspaces(root: Manifest, workspaces: readonly Manifest[]): string[] {
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const shipped = new Set<string>();
  const visit = (name: string) => {
    const workspace = byName.get(name);
    if (!workspace || shipped.has(name)) return;
    shipped.add(name);
    for (const dependency of Object.keys(workspace.dependencies ?? {})) visit(dependency);
  };
  for (const dependency of Object.keys(root.dependencies ?? {})) visit(dependency);
  return [...shipped];
}

/** Writes rollpoint-<version>.tar.gz into `outDir` and returns its path. */
function packInstallArchive(outDir: string): string {
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
  const workspaces = JSON.parse(npm(REPO_ROOT, ['query', '.workspace', '--json'])) as Manifest[];
  const name = `${root.name}-${root.version}`;
  const stage = mkdtempSync(join(tmpdir(), 'rollpoint-pack-'));
  try {
    const folder = join(stage, name);
    mkdirSync(folder);
    const workspaceFlags = shippedWorkspaces(root, workspaces).flatMap((w) => ['--workspace', w]);
    const packed = JSON.parse(npm(REPO_ROOT, ['pack', '--json', '--pack-destination', folder, ...workspaceFlags])) as Packed[];
    const manifest: Manifest = {
      name: root.name,
      version: root.version,
      private: true,
      ...(root.description ? { description: root.description } : {}),
      ...(root.engines ? { engines: root.engines } : {}),
      dependencies: Object.fromEntries(packed.map((p) => [p.name, `file:${p.filename}`])),
      // The same install-script policy as the repository's own installs.
      ...(root.allowScripts ? { allowScripts: root.allowScripts } : {}),
    };
    writeFileSync(join(folder, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // From the repository's lockfile npm keeps every version that still fits and drops the
    // development tools, fetching nothing it has in its cache.
    copyFileSync(join(REPO_ROOT, 'package-lock.json'), join(folder, 'package-lock.json'));
    npm(folder, ['install', '--package-lock-only', '--prefer-offline', '--no-audit', '--no-fund']);
    mkdirSync(outDir, { recursive: true });
    const archive = join(resolve(outDir), `${name}.tar.gz`);
    execFileSync('tar', ['-czf', archive, '-C', stage, name]);
    return archive;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

const options = new Command('pack')
  .description('Packs the build for a server install without Docker into one archive.')
  .option('-o, --out <folder>', 'where to write rollpoint-<version>.tar.gz', join(REPO_ROOT, 'pack'))
  .parse()
  .opts<{ out: string }>();
process.stdout.write(`${packInstallArchive(options.out)}\n`);
