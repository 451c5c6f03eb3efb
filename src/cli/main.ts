/**
 * The `dockgate` command line. Exit codes: 0 success, 1 the data was found invalid (or the
 * operation failed), 2 usage or configuration errors.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/config.ts';
import { buildProgram, commandAskedFor } from './program.ts';
import { UsageError } from './usage-error.ts';
import { printable } from './terminal-text.ts';

export async function main(argv: string[]): Promise<number> {
  // Output piped into `head` and cut short is not an error of ours.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
    throw e;
  });
  const program = await buildProgram(commandAskedFor(argv));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof UsageError || err instanceof ConfigError || (err instanceof Error && CONFIGURATION_ERRORS.has(err.name))) {
      process.stderr.write(`dockgate: ${printableLines(err.message)}\n`);
      return 2;
    }
    // The last resort for a path, port or permission that no command checked first: Node's
    // one-line message names the path (or address), and the user can fix it.
    const code = systemErrorCode(err);
    if (code) {
      process.stderr.write(`dockgate: ${printable((err as Error).message)}\n`);
      return USER_SETUP_CODES.has(code) ? 2 : 1;
    }
    // Known failures (bad data, store problems) get their message; anything else is a bug: full stack.
    const known = err instanceof Error && KNOWN_FAILURES.has(err.name);
    process.stderr.write(`dockgate: ${err instanceof Error ? (known ? printableLines(err.message) : (err.stack ?? err.message)) : String(err)}\n`);
    return 1;
  }
}

/** A message of ours may span lines (a list of problems); what it quotes is escaped line by line. */
const printableLines = (message: string) => message.split('\n').map(printable).join('\n');

/** Typed errors that mean the setup is wrong (exit 2) rather than the data. */
const CONFIGURATION_ERRORS = new Set(['StoreKeyError', 'AmazonConfigError']);

/** Typed failures of the data or the operation (exit 1), reported without a stack. */
const KNOWN_FAILURES = new Set(['X12DataError', 'StoreError', 'BlobIntegrityError', 'MigrationError', 'PathSyntaxError', 'X12ConfigError', 'TranslationSetupError', 'LayoutError', 'TransportError', 'AmazonApiError', 'PermanentError', 'ResendRefusedError', 'OrdersFlowError']);

/** Node system errors caused by a path, port or permission the user chose. */
const USER_SETUP_CODES = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG', 'EROFS', 'EADDRINUSE', 'EADDRNOTAVAIL']);

/** The code of a Node system error (it has a syscall, unlike library errors that borrow codes), else null. */
function systemErrorCode(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException | null;
  return e instanceof Error && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.syscall === 'string' ? e.code : null;
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
