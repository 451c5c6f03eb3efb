/**
 * `dockgate sftp check --partner P`: connect with the partner's transport settings, print the
 * server's host-key fingerprint as OpenSSH prints it (so that it can be pinned), and list the
 * configured directories. Exit 0 when everything answered, 1 when not.
 */
import type { Command } from 'commander';
import { DirectoryTransport } from '../transport/directory.ts';
import { SftpTransport, sftpOptionsFromMapping } from '../transport/sftp.ts';
import { TransportError, type Transport } from '../transport/transport.ts';
import { loadCheckedMappings } from './translate-command.ts';
import { UsageError } from './usage-error.ts';

export function registerSftpCommand(program: Command): void {
  const sftp = program.command('sftp').description("a partner's file transport");
  sftp
    .command('check')
    .description("connect with a partner's transport settings, print the server's host-key fingerprint and list its directories (exit 1 on any failure)")
    .requiredOption('--partner <id>', 'partner id (mappings/partners)')
    .option('--mappings <dir>', 'folder of mapping files', 'mappings')
    .option('--timeout <ms>', 'connection timeout', '15000')
    .action(async (o: { partner: string; mappings: string; timeout: string }) => {
      const mappings = loadCheckedMappings(o.mappings);
      const partner = mappings.partners.get(o.partner);
      if (!partner) throw new UsageError(`no partner '${o.partner}' in ${o.mappings}`);
      const t = partner.transport;
      const out = (line: string) => process.stdout.write(`${line}\n`);
      let transport: Transport;
      let sftpTransport: SftpTransport | null = null;
      try {
        if (t.type === 'sftp') {
          sftpTransport = new SftpTransport({ ...sftpOptionsFromMapping(t), timeoutMs: Number(o.timeout) });
          transport = sftpTransport;
        } else transport = new DirectoryTransport(t.path);
      } catch (e) {
        if (e instanceof TransportError) throw new UsageError(`partner ${o.partner}: ${e.message}`);
        throw e;
      }
      let failed = false;
      out(`${o.partner}: ${transport.describe}`);
      try {
        await transport.connect();
        if (sftpTransport) out(`host key: ${sftpTransport.seenHostKey} (pinned: matches)`);
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        const pinned = t.type === 'sftp' ? t.hostKey : '';
        if (sftpTransport?.seenHostKey) out(`host key: ${sftpTransport.seenHostKey}${sftpTransport.seenHostKey === pinned ? '' : `  (the partner file pins ${pinned})`}`);
        out(`FAILED to connect (${e.kind}): ${e.message}`);
        process.exitCode = 1;
        return;
      }
      for (const [role, dir] of Object.entries(t.directories)) {
        if (!dir) continue;
        try {
          const files = await transport.list(dir);
          out(`${role.padEnd(8)} ${dir}: ${files.length} file(s)${files.length ? `, e.g. ${files.slice(0, 3).map((f) => f.name).join(', ')}` : ''}`);
        } catch (e) {
          if (!(e instanceof TransportError)) throw e;
          failed = true;
          out(`${role.padEnd(8)} ${dir}: FAILED (${e.kind}): ${e.message}`);
        }
      }
      await transport.disconnect();
      process.exitCode = failed ? 1 : 0;
    });
}
