/**
 * `dockgate sftp check --partner P`: connect with the partner's transport settings, print the
 * server's host-key fingerprint as OpenSSH prints it (so that it can be pinned), and list the
 * configured directories. A partner file without a pinned key yet is how a new partner starts:
 * the key is shown, with a note, and only a key that differs from the pin fails the check.
 * Exit 0 when everything answered, 1 when not; --json prints the same as one JSON object.
 */
import type { Command } from 'commander';
import type { PartnerFile } from '../mapping/schema.ts';
import { DirectoryTransport } from '../transport/directory.ts';
import { describeServer, readHostKey, SftpTransport, sftpOptionsFromMapping } from '../transport/sftp.ts';
import { TransportError, type Transport } from '../transport/transport.ts';
import { MAX_TIMER_MS, wholeNumber } from './options.ts';
import { loadCheckedMappings } from './translate-command.ts';
import { UsageError } from './usage-error.ts';

interface Failure {
  kind: string;
  message: string;
}

/** What `sftp check --json` prints. */
export interface SftpCheckReport {
  partner: string;
  transport: string;
  /** Null for a directory transport. `not-pinned`: the partner file has no transport.hostKey yet. */
  hostKey: { seen: string | null; pinned: string | null; status: 'matches' | 'mismatch' | 'not-pinned' | 'not-seen' } | null;
  connected: boolean;
  failure: Failure | null;
  directories: Array<{ role: string; path: string; files: number | null; examples: string[]; failure: Failure | null }>;
  notes: string[];
  ok: boolean;
}

const failure = (e: TransportError): Failure => ({ kind: e.kind, message: e.message });

async function check(partnerId: string, t: PartnerFile['transport'], timeoutMs: number, say: (line: string) => void): Promise<SftpCheckReport> {
  const report: SftpCheckReport = { partner: partnerId, transport: '', hostKey: null, connected: false, failure: null, directories: [], notes: [], ok: false };
  const setup = <T>(make: () => T): T => {
    try {
      return make();
    } catch (e) {
      if (e instanceof TransportError) throw new UsageError(`partner ${partnerId}: ${e.message}`);
      throw e;
    }
  };
  let transport: Transport;
  let sftp: SftpTransport | null = null;
  if (t.type === 'sftp') {
    report.transport = describeServer(t);
    const pinned = t.hostKey ?? null;
    report.hostKey = { seen: null, pinned, status: pinned ? 'not-seen' : 'not-pinned' };
    // Credentials are needed only to log in: a password is not asked for before the key is pinned.
    const usesKey = 'keyPath' in t.auth;
    let options = usesKey || pinned ? setup(() => sftpOptionsFromMapping(t)) : null;
    say(`${partnerId}: ${report.transport}`);
    if (!pinned) {
      let seen: string;
      try {
        seen = await readHostKey({ host: t.host, port: t.port, user: t.user, timeoutMs });
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        report.failure = failure(e);
        say(`FAILED to connect (${e.kind}): ${e.message}`);
        return report;
      }
      report.hostKey.seen = seen;
      const note = `not pinned yet: check this key with the partner (out of band), then pin it in the partner file as transport.hostKey: ${seen}`;
      report.notes.push(note);
      say(`host key: ${seen}  (${note})`);
      if (!options) {
        const skipped = 'directories not listed: the password is not sent to a server whose host key is not pinned yet';
        report.notes.push(skipped);
        say(skipped);
        report.ok = true;
        return report;
      }
      // With a private key nothing secret goes to the server: log in against the key just seen.
      options = { ...options, hostKey: seen };
    }
    sftp = setup(() => new SftpTransport({ ...options!, timeoutMs }));
    transport = sftp;
  } else {
    transport = setup(() => new DirectoryTransport(t.path));
    report.transport = transport.describe;
    say(`${partnerId}: ${transport.describe}`);
  }
  try {
    await transport.connect();
    report.connected = true;
    if (sftp && report.hostKey?.pinned) {
      report.hostKey.seen = sftp.seenHostKey;
      report.hostKey.status = 'matches';
      say(`host key: ${sftp.seenHostKey} (pinned: matches)`);
    }
  } catch (e) {
    if (!(e instanceof TransportError)) throw e;
    if (sftp?.seenHostKey && report.hostKey) {
      const { pinned } = report.hostKey;
      report.hostKey.seen = sftp.seenHostKey;
      if (pinned && sftp.seenHostKey !== pinned) report.hostKey.status = 'mismatch';
      say(`host key: ${sftp.seenHostKey}${report.hostKey.status === 'mismatch' ? `  (the partner file pins ${pinned})` : ''}`);
    }
    report.failure = failure(e);
    say(`FAILED to connect (${e.kind}): ${e.message}`);
    return report;
  }
  let failed = false;
  for (const [role, dir] of Object.entries(t.directories)) {
    if (!dir) continue;
    try {
      const files = await transport.list(dir);
      const examples = files.slice(0, 3).map((f) => f.name);
      report.directories.push({ role, path: dir, files: files.length, examples, failure: null });
      say(`${role.padEnd(8)} ${dir}: ${files.length} file(s)${files.length ? `, e.g. ${examples.join(', ')}` : ''}`);
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      failed = true;
      report.directories.push({ role, path: dir, files: null, examples: [], failure: failure(e) });
      say(`${role.padEnd(8)} ${dir}: FAILED (${e.kind}): ${e.message}`);
    }
  }
  await transport.disconnect();
  report.ok = !failed;
  return report;
}

export function registerSftpCommand(program: Command): void {
  const sftp = program.command('sftp').description("a partner's file transport");
  sftp
    .command('check')
    .description("connect with a partner's transport settings, print the server's host-key fingerprint (to pin, when the partner file has none yet) and list its directories (exit 1 on any failure or a key that differs from the pin)")
    .requiredOption('--partner <id>', 'partner id (mappings/partners)')
    .option('--mappings <dir>', 'folder of mapping files', 'mappings')
    .option('--timeout <ms>', 'connection timeout in milliseconds', wholeNumber('--timeout', { min: 1, max: MAX_TIMER_MS, unit: 'milliseconds' }), 15000)
    .option('--json', 'print the result as one JSON object')
    .action(async (o: { partner: string; mappings: string; timeout: number; json?: boolean }) => {
      const mappings = loadCheckedMappings(o.mappings);
      const partner = mappings.partners.get(o.partner);
      if (!partner) throw new UsageError(`no partner '${o.partner}' in ${o.mappings}`);
      const report = await check(o.partner, partner.transport, o.timeout, o.json ? () => undefined : (line) => process.stdout.write(`${line}\n`));
      if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });
}
