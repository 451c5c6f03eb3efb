/**
 * One real PostgreSQL server for a test file (test/store/postgres-server.ts), started before its
 * tests and stopped after them, and the test that says by name when it cannot start (a failure
 * under CI=true, where .ci/run installs postgresql), as test/transport/sftp.test.ts does for sshd.
 * Each test then checks `skip` first and takes a fresh database of `server()`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { POSTGRES_SKIP, PostgresServer, postgresUnavailable } from './postgres-server.ts';

export function realPostgresPerFile(what: string): { skip: string | null; server: () => PostgresServer } {
  const unavailable = postgresUnavailable();
  const skip = unavailable && POSTGRES_SKIP(unavailable);
  test(`the real-PostgreSQL ${what} run happens (required under CI=true)`, (t) => {
    if (!skip) return;
    process.stderr.write(`\n*** ${skip} ***\n\n`);
    if (process.env.CI === 'true') assert.fail(`${skip}; .ci/run installs postgresql`);
    t.skip(skip);
  });
  let running: PostgresServer | null = null;
  before(async () => {
    if (!skip) running = await PostgresServer.start();
  });
  after(async () => {
    await running?.stop();
  });
  return {
    skip,
    server: () => {
      if (!running) throw new Error('the PostgreSQL server of this file is not running');
      return running;
    },
  };
}
