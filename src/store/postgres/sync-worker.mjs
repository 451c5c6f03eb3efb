// The thread behind SyncPostgres (sync-client.ts): one `pg` connection of its own, answering one
// query at a time. Plain JavaScript: a worker thread does not get the tsx loader the CLI
// registers in-process, and this file needs nothing but `pg`.
import { workerData } from 'node:worker_threads';
import pg from 'pg';

const { connectionString, port, signal } = workerData;
const flag = new Int32Array(signal);
const INT8 = 20;
const NUMERIC = 1700;
const client = new pg.Client({
  connectionString,
  application_name: 'dockgate-sync',
  types: { getTypeParser: (oid, format) => (oid === INT8 || oid === NUMERIC ? (v) => (v === null ? null : Number(v)) : pg.types.getTypeParser(oid, format)) },
});
const connected = client.connect();
// The connection dying between queries must not kill the process: the next query says so.
client.on('error', () => undefined);

function answer(message) {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

let chain = Promise.resolve();
port.on('message', (m) => {
  chain = chain.then(async () => {
    try {
      await connected;
      const r = await client.query(m.text, m.values);
      answer({ id: m.id, rows: r.rows, rowCount: r.rowCount ?? 0 });
    } catch (e) {
      answer({ id: m.id, error: { message: e.message, code: e.code, detail: e.detail } });
    }
  });
});
