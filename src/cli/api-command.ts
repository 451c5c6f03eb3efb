/**
 * `dockgate api token`: a new API token, printed once with the lines to paste under
 * api.tokens (the configuration keeps only its sha256). `dockgate api hash`: the sha256 of a
 * token read from stdin, for a token made elsewhere (a secrets manager's).
 */
import type { Command } from 'commander';
import { newToken, sha256Hex } from '../server/auth.ts';
import { UsageError } from './usage-error.ts';

/** As config api.tokens[].name accepts it. */
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ACCESS = ['read-only', 'read-write'] as const;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerApiCommands(program: Command): void {
  const api = program.command('api').description('API tokens: make one, or hash one');
  api
    .command('token')
    .description('print a new random API token (once) and the lines to paste under api.tokens in the configuration')
    .requiredOption('--name <name>', 'what the token is for (letters, digits, . _ -); requests log it')
    .requiredOption('--access <access>', 'read-only (GET only) or read-write')
    .option('--buyer-data', 'may see buyer names, addresses and phones (default: redacted)')
    .action((opts: { name: string; access: string; buyerData?: boolean }) => {
      if (!TOKEN_NAME.test(opts.name)) throw new UsageError(`--name ${JSON.stringify(opts.name)}: letters, digits, . _ - (up to 64, starting with a letter or digit)`);
      if (!(ACCESS as readonly string[]).includes(opts.access)) throw new UsageError(`--access ${JSON.stringify(opts.access)}: read-only or read-write`);
      const token = newToken();
      process.stdout.write(
        [
          `token (shown this once; the configuration keeps only its sha256): ${token}`,
          '',
          'paste under api.tokens in the configuration:',
          `  - name: ${opts.name}`,
          `    sha256: ${sha256Hex(token)}`,
          `    access: ${opts.access}`,
          `    buyerData: ${opts.buyerData ? 'true' : 'false'}`,
          '',
          'callers send it as: Authorization: Bearer <token>',
          '',
        ].join('\n'),
      );
    });
  api
    .command('hash')
    .description('read a token from stdin and print its sha256 (for api.tokens[].sha256); one trailing newline is not part of the token')
    .action(async () => {
      const token = (await readStdin()).replace(/\r?\n$/, '');
      if (!token.trim()) throw new UsageError('no token on stdin (echo -n "$TOKEN" | dockgate api hash)');
      if (/[\s]/.test(token)) throw new UsageError('the token on stdin contains white space or more than one line: a bearer token cannot');
      process.stdout.write(`${sha256Hex(token)}\n`);
    });
}
