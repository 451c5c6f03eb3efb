/**
 * The `dockgate` program: its global options and its commands. Each top-level command is
 * registered by its own module, and only the module of the command asked for is loaded: every
 * module pulls in its part of the gateway (the X12 engine, the mappings, the store, SSH, the
 * server), and loading them all cost about a second on every run of every command.
 */
import { Command } from 'commander';

type Register = (program: Command) => void;

/** Each top-level command and how to load its module, in the order help lists them. */
export const COMMANDS: Record<string, () => Promise<Register>> = {
  x12: async () => (await import('./x12-commands.ts')).registerX12Commands,
  store: async () => (await import('./store-commands.ts')).registerStoreCommands,
  mappings: async () => (await import('./mappings-commands.ts')).registerMappingsCommands,
  translate: async () => (await import('./translate-command.ts')).registerTranslateCommand,
  sandbox: async () => (await import('./sandbox-command.ts')).registerSandboxCommand,
  sftp: async () => (await import('./sftp-command.ts')).registerSftpCommand,
  demo: async () => (await import('./demo-command.ts')).registerDemoCommand,
  start: async () => (await import('./start-command.ts')).registerStartCommand,
  serve: async () => (await import('./serve-command.ts')).registerServeCommand,
  api: async () => (await import('./api-command.ts')).registerApiCommands,
  messages: async () => (await import('./messages-command.ts')).registerMessagesCommands,
  exceptions: async () => (await import('./exceptions-command.ts')).registerExceptionsCommands,
  fba: async () => (await import('./fba-command.ts')).registerFbaCommands,
  reconcile: async () => (await import('./reconcile-command.ts')).registerReconcileCommands,
};

/** Global options that take a value (the next argument, unless written `--config=FILE`). */
const VALUE_OPTIONS = new Set(['-c', '--config']);

/**
 * The top-level command `argv` asks for, or null when it names none we know (no command, help,
 * a typo): then every command is loaded, for the full help or commander's suggestion.
 */
export function commandAskedFor(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return Object.hasOwn(COMMANDS, a) ? a : null;
  }
  return null;
}

/** The program with the command `only` (or, without it, every command) registered. */
export async function buildProgram(only: string | null = null): Promise<Command> {
  const program = new Command('dockgate')
    .description('EDI / flat-file gateway between Amazon SP-API and 3PL warehouses')
    .version('0.1.0')
    .option('-c, --config <file>', 'configuration file (default: $DOCKGATE_CONFIG or ./dockgate.yaml when present)')
    .showHelpAfterError()
    .exitOverride();
  for (const [name, load] of Object.entries(COMMANDS)) if (only === null || name === only) (await load())(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}
