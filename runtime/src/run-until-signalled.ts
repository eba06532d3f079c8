import { Command } from 'commander';
import { ConfigError } from './config-file.js';

/** The part of a pino logger this needs. */
export interface LifecycleLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
  fatal(fields: object, message: string): void;
}

/**
 * Starts a service and keeps it running until SIGINT or SIGTERM, then stops it gracefully; a
 * second signal exits at once. A signal while it is still starting (waiting for its store, say)
 * exits at once: nothing has been taken in yet. A failure to start is logged and exits with
 * status 1. The handlers are in place from the start because in a container the process is PID 1,
 * which ignores a signal it has no handler for.
 */
export async function runUntilSignalled(logger: LifecycleLogger, start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  let service: { stop(): Promise<void> } | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    if (service === undefined) process.exit(0);
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    service = await start();
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    process.exit(1);
  }
}

/** How `runService` builds and starts one of rollpoint's processes. */
export interface ServiceProgram<C, L extends LifecycleLogger> {
  name: string;
  description: string;
  /** What --version prints: the package's version. */
  version: string;
  /** Reads and validates the configuration file (undefined: all defaults); throws ConfigError. */
  load(path: string | undefined): C;
  logger(config: C): L;
  start(config: C, logger: L): Promise<{ stop(): Promise<void> }>;
  /** Subcommands beside running the service (e.g. `schema --print`); each gets the same config loader. */
  commands?: (program: Command, loadOrExit: (path: string | undefined) => C) => void;
}

/**
 * The command line of rollpoint-agent and rollpoint-backend: `--config file`, a configuration error
 * printed with its paths and exit status 2, then run until SIGINT or SIGTERM.
 */
export async function runService<C, L extends LifecycleLogger>(program: ServiceProgram<C, L>): Promise<void> {
  const loadOrExit = (path: string | undefined): C => {
    try {
      return program.load(path);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${program.name}: ${err.message}\n`);
      process.exit(2);
    }
  };
  const command = new Command(program.name)
    .description(program.description)
    .version(program.version, '-V, --version', 'print the version and exit')
    // A subcommand's own options (its --config) are its own, not taken by the service's.
    .enablePositionalOptions()
    .option('-c, --config <file>', 'YAML configuration (every setting has a default)')
    .action(async (options: { config?: string }) => {
      const config = loadOrExit(options.config);
      const logger = program.logger(config);
      await runUntilSignalled(logger, () => program.start(config, logger));
    });
  program.commands?.(command, loadOrExit);
  await command.parseAsync();
}
