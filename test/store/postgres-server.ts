/**
 * A real PostgreSQL server for the tests, in the way test/transport/sshd.ts starts a real sshd:
 * Debian's `postgresql` package (installed by `.ci/run`), `initdb` into a temporary directory,
 * started on 127.0.0.1 on a free port with no Unix socket, removed after. PostgreSQL refuses to
 * run as root, so under root the cluster belongs to the package's `postgres` user.
 *
 * `freshDatabase()` creates an empty database per test, `migratedDatabase()` one with every
 * migration applied (copied from a template migrated once); the URL they return is what
 * `store: { postgres: { url } }` / DOCKGATE_DATABASE_URL take.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from '../transport/sshd.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migratePostgres } from '../../src/store/postgres/migrate.ts';
import { SyncPostgres } from '../../src/store/postgres/sync-client.ts';

/** The server binaries: Debian keeps them per major version under /usr/lib/postgresql. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : null;
}

function runAsUser(): { uid: number; gid: number; name: string } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid, name: 'postgres' };
}

/** Why a real PostgreSQL cannot start here, or null when it can. */
export function postgresUnavailable(): string | null {
  if (!postgresBinDir()) return 'PostgreSQL is not installed (apt-get install postgresql: /usr/lib/postgresql/<version>/bin/postgres)';
  if (process.getuid?.() === 0) {
    try {
      runAsUser();
    } catch {
      return 'running as root and there is no postgres user to run the server as (the postgresql package creates it)';
    }
  }
  return null;
}


export class PostgresServer {
  private child: ChildProcess | null = null;
  private databases = 0;
  private template: Promise<string> | null = null;
  private log: string[] = [];

  private constructor(
    readonly base: string,
    readonly port: number,
  ) {}

  /** initdb, start, wait until it accepts connections. */
  static async start(): Promise<PostgresServer> {
    const bin = postgresBinDir();
    if (!bin) throw new Error(postgresUnavailable() ?? 'no PostgreSQL');
    const base = mkdtempSync(join(tmpdir(), 'dockgate-pg-'));
    const user = runAsUser();
    if (user) chownSync(base, user.uid, user.gid);
    const data = join(base, 'data');
    const as = user ? { uid: user.uid, gid: user.gid } : {};
    execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'dockgate', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], { ...as, stdio: 'pipe', cwd: base });
    const port = await freePort();
    const server = new PostgresServer(base, port);
    // Durability settings off: a test cluster is thrown away; the store's own crash safety is
    // PostgreSQL's, not this cluster's.
    const args = ['-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', '', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'shared_buffers=64MB'];
    const child = spawn(join(bin, 'postgres'), args, { ...as, stdio: ['ignore', 'ignore', 'pipe'], cwd: base });
    server.child = child;
    child.stderr!.on('data', (d: Buffer) => {
      server.log.push(d.toString());
      if (server.log.length > 200) server.log.shift();
    });
    const until = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${server.log.join('')}`);
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'dockgate', database: 'postgres' });
      try {
        await c.connect();
        await c.end();
        break;
      } catch {
        await c.end().catch(() => undefined);
        if (Date.now() > until) throw new Error(`postgres did not accept connections on ${port}: ${server.log.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return server;
  }

  url(database = 'postgres'): string {
    return `postgres://dockgate@127.0.0.1:${this.port}/${database}`;
  }

  /** A new empty database; its URL. */
  async freshDatabase(prefix = 't'): Promise<string> {
    const name = `${prefix}_${process.pid}_${++this.databases}`;
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }

  /**
   * A new database with every migration applied: a copy of a template migrated once per server
   * (CREATE DATABASE ... TEMPLATE), so that a test pays for the copy, not for the migrations.
   */
  async migratedDatabase(prefix = 't'): Promise<string> {
    this.template ??= (async () => {
      const name = `dockgate_template_${process.pid}`;
      const c = new pg.Client({ connectionString: this.url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name} TEMPLATE template0`);
      } finally {
        await c.end();
      }
      const db = new SyncPostgres(this.url(name));
      try {
        migratePostgres(db);
      } finally {
        await db.close();
      }
      return name;
    })();
    const template = await this.template;
    const name = `${prefix}_${process.pid}_${++this.databases}`;
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }

  /** The server's own log (its last lines): for a failing test's message. */
  recentLog(): string {
    return this.log.join('');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      // SIGINT: PostgreSQL's fast shutdown (sessions are ended, no waiting for clients).
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** For a test file's title: run with `test(..., { skip })` when PostgreSQL cannot start. */
export const POSTGRES_SKIP = (reason: string) => `real PostgreSQL tests skipped: ${reason}`;
