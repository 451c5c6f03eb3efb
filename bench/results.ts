/**
 * bench/RESULTS.md holds one section per benchmark (`## <title> — <date>`); each benchmark
 * rewrites its own section and leaves the others.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type } from 'node:os';

const HEADER = `# Benchmarks

Run by hand: \`npm run bench\` (X12, \`bench/x12-bench.ts\`) and \`npm run bench:amazon\`
(\`bench/amazon-bench.ts\`). Each writes its own section below, with the machine and the date.
`;

export function machine(): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${type()}, Node ${process.version}`;
}

/** Replace the section whose heading starts with `## <title>` (or append it). `body` starts with its heading. */
export function writeSection(file: string, title: string, body: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const sections = text.split(/^(?=## )/m);
  const head = sections[0].startsWith('## ') ? HEADER : HEADER;
  const rest = sections.filter((s) => s.startsWith('## '));
  const at = rest.findIndex((s) => s.startsWith(`## ${title}`));
  const section = `${body.trimEnd()}\n\n`;
  if (at >= 0) rest[at] = section;
  else rest.push(section);
  writeFileSync(file, `${head.trimEnd()}\n\n${rest.join('').trimEnd()}\n`);
}

/** A numeric command-line option of a bench: `--name N`, else the fallback. */
export function numberArg(name: string, fallback: number): number;
export function numberArg(name: string, fallback: number | undefined): number | undefined;
export function numberArg(name: string, fallback: number | undefined): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Stop a spawned gateway as an operator would: SIGTERM, up to 35 s (its 30 s contract and a margin), then SIGKILL. */
export async function stopGateway(gateway: import('node:child_process').ChildProcess): Promise<void> {
  const running = () => gateway.exitCode === null && gateway.signalCode === null;
  if (!running()) return;
  gateway.kill('SIGTERM');
  const t = Date.now();
  while (running() && Date.now() - t < 35_000) await new Promise((r) => setTimeout(r, 100));
  if (running()) gateway.kill('SIGKILL');
}

/** The commit a run measured, and whether src/ had other changes (several people work in the tree). */
export function revision(): string {
  const root = new URL('..', import.meta.url);
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { cwd: root }).toString().trim() !== '';
    return `${head}${dirty ? ' with uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

/** Credentials the sample seller files name (the emulator accepts any well-formed refresh token); as test/flows/harness.ts. */
export const SELLER_ENV: NodeJS.ProcessEnv = {
  ACME_LWA_CLIENT_ID: 'amzn1.application-oa2-client.bench',
  ACME_LWA_CLIENT_SECRET: 'bench-secret',
  ACME_LWA_REFRESH_TOKEN: 'Atzr|acme-sandbox-refresh-token',
  NORTHWIND_LWA_CLIENT_ID: 'amzn1.application-oa2-client.bench',
  NORTHWIND_LWA_CLIENT_SECRET: 'bench-secret',
  NORTHWIND_LWA_REFRESH_TOKEN: 'Atzr|northwind-sandbox-refresh-token',
};

/** A benchmark waits on the wall clock (it measures it); tests never do. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
