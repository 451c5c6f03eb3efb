/**
 * A real OpenSSH sshd for the SFTP tests: started on 127.0.0.1 on a free port with a generated
 * host key, serving a temporary directory through internal-sftp to a non-root test user (root
 * ignores file permissions) with an authorized key and a password. Needs /usr/sbin/sshd and
 * root (to create the user and let sshd switch to it); `.ci/run` installs openssh-server.
 * DOCKGATE_SSHD_LOGLEVEL=VERBOSE and DOCKGATE_SSHD_LOG=FILE keep sshd's own log for debugging.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';
export const TEST_USER = 'dockgate-sftp';

/** Why the real-sshd run cannot happen here, or null when it can. */
export function sshdUnavailable(): string | null {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server)`;
  if (process.getuid?.() !== 0) return 'the tests are not running as root (needed to start sshd for a non-root test user)';
  return null;
}

/** A port free on 127.0.0.1 now (the servers the tests start take it next). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SshdOptions {
  /** internal-sftp -R: the whole tree read-only. */
  readOnly?: boolean;
  /** ulimit -f for the server, in KiB: a full target. */
  fileSizeLimitKb?: number;
}

export class Sshd {
  readonly base: string;
  /** The directory served (the SFTP session starts there). */
  readonly data: string;
  readonly password = `pw-${Math.random().toString(36).slice(2)}-X9`;
  port = 0;
  hostKey = '';
  clientKey: Buffer = Buffer.alloc(0);
  uid = 0;
  gid = 0;
  private child: ChildProcess | null = null;
  private stderr = '';

  constructor(private readonly options: SshdOptions = {}) {
    this.base = mkdtempSync(join(tmpdir(), 'dockgate-sshd-'));
    this.data = join(this.base, 'data');
  }

  async setup(): Promise<this> {
    try {
      execFileSync('id', [TEST_USER], { stdio: 'ignore' });
    } catch {
      execFileSync('useradd', ['-m', '-s', '/bin/sh', TEST_USER], { stdio: 'ignore' });
    }
    execFileSync('chpasswd', { input: `${TEST_USER}:${this.password}\n` });
    this.uid = Number(execFileSync('id', ['-u', TEST_USER]).toString().trim());
    this.gid = Number(execFileSync('id', ['-g', TEST_USER]).toString().trim());
    chmodSync(this.base, 0o755);
    mkdirSync(this.data);
    chownSync(this.data, this.uid, this.gid);
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.base, 'host_ed25519')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.base, 'client_ed25519')]);
    this.clientKey = readFileSync(join(this.base, 'client_ed25519'));
    writeFileSync(join(this.base, 'authorized_keys'), readFileSync(join(this.base, 'client_ed25519.pub')));
    this.hostKey = execFileSync('ssh-keygen', ['-l', '-f', join(this.base, 'host_ed25519.pub')]).toString().split(' ')[1];
    this.port = await freePort();
    writeFileSync(
      join(this.base, 'sshd_config'),
      [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(this.base, 'host_ed25519')}`,
        `PidFile ${join(this.base, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(this.base, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin no',
        `AllowUsers ${TEST_USER}`,
        'Subsystem sftp internal-sftp',
        `ForceCommand internal-sftp -d ${this.data}${this.options.readOnly ? ' -R' : ''}`,
        `LogLevel ${process.env.DOCKGATE_SSHD_LOGLEVEL ?? 'ERROR'}`,
        '',
      ].join('\n'),
    );
    return this;
  }

  async start(): Promise<void> {
    const args = ['-D', '-e', '-f', join(this.base, 'sshd_config')];
    this.child = this.options.fileSizeLimitKb
      ? spawn('sh', ['-c', `ulimit -f ${this.options.fileSizeLimitKb}; exec ${SSHD} ${args.join(' ')}`], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(SSHD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      if (process.env.DOCKGATE_SSHD_LOG) appendFileSync(process.env.DOCKGATE_SSHD_LOG, d);
    });
    await waitForPort(this.port).catch((e: Error) => {
      throw new Error(`${e.message}: ${this.stderr}`);
    });
  }

  /** Stop the server and every session it has open (a dropped connection mid-transfer). */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c) return;
    // The sessions run as the test user, apart from the listener: kill them too (no pkill needed).
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        if (Number(uid) === this.uid) process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    c.kill('SIGKILL');
    await new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once('exit', r)));
  }

  /** A directory in the served tree owned by root: the test user cannot write there. */
  rootOwnedDir(name: string): string {
    const p = join(this.data, name);
    mkdirSync(p, { mode: 0o755 });
    chownSync(p, 0, 0);
    return name;
  }

  /** A directory in the served tree the test user owns. */
  userDir(name: string): string {
    const p = join(this.data, name);
    mkdirSync(p, { recursive: true });
    chownSync(p, this.uid, this.gid);
    return name;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.base, { recursive: true, force: true });
  }
}
