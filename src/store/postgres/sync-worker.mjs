// The thread behind SyncPostgres (sync-client.ts): one `pg` connection of its own, answering one
// query at a time. Plain JavaScript: a worker thread does not get the tsx loader the CLI
// registers in-process, and this file needs nothing but `pg`.
//
// The connection is made again when it was lost (a database restart, a failover, a backend
// terminated): a gateway runs for months and must not need a restart after its database had
// one. A statement that met the loss outside a transaction is sent once more on the new
// connection (a control number drawn twice leaves a gap, never a number given twice); inside an
// explicit transaction (BEGIN ... COMMIT, the migrations) the loss is an error, and so is every
// statement after it until the caller's ROLLBACK: the transaction is gone with its connection.
import { workerData } from 'node:worker_threads';
import pg from 'pg';

const { connectionString, port, signal } = workerData;
const flag = new Int32Array(signal);
const INT8 = 20;
const NUMERIC = 1700;
const types = { getTypeParser: (oid, format) => (oid === INT8 || oid === NUMERIC ? (v) => (v === null ? null : Number(v)) : pg.types.getTypeParser(oid, format)) };

let client = null;
let inTransaction = false;
let transactionLost = false;

async function connection() {
  if (client) return client;
  const c = new pg.Client({ connectionString, application_name: 'dockgate-sync', types });
  // The connection dying between queries must not kill the process: the next query makes another.
  const lost = () => {
    if (client !== c) return;
    client = null;
    if (inTransaction) transactionLost = true;
  };
  c.on('error', lost);
  c.on('end', lost);
  client = c;
  try {
    await c.connect();
  } catch (e) {
    if (client === c) client = null;
    throw e;
  }
  return c;
}

/** A failure of the connection itself (as opposed to the statement): no SQLSTATE, or class 08 / 57P. */
function connectionLost(e) {
  return !e.code || /^08|^57P0[123]$/.test(e.code) || /Connection terminated|not queryable|ECONNRESET|EPIPE/i.test(e.message ?? '');
}

function answer(message) {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

async function run(text, values) {
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase();
  if (transactionLost) {
    if (verb === 'ROLLBACK') {
      inTransaction = transactionLost = false;
      return { rows: [], rowCount: 0 };
    }
    throw Object.assign(new Error('the connection to PostgreSQL was lost inside this transaction: it was rolled back'), { code: '08006' });
  }
  const once = async () => {
    const c = await connection();
    try {
      return await c.query(text, values);
    } catch (e) {
      if (connectionLost(e) && client === c) {
        client = null;
        void c.end().catch(() => undefined);
      }
      throw e;
    }
  };
  let r;
  try {
    r = await once();
  } catch (e) {
    if (!connectionLost(e) || inTransaction) {
      if (connectionLost(e) && inTransaction) transactionLost = true;
      throw e;
    }
    r = await once();
  }
  if (verb === 'BEGIN') inTransaction = true;
  else if (verb === 'COMMIT' || verb === 'ROLLBACK' || verb === 'END') inTransaction = false;
  return r;
}

let chain = Promise.resolve();
port.on('message', (m) => {
  chain = chain.then(async () => {
    try {
      const r = await run(m.text, m.values);
      answer({ id: m.id, rows: r.rows, rowCount: r.rowCount ?? 0 });
    } catch (e) {
      answer({ id: m.id, error: { message: e.message, code: e.code, detail: e.detail } });
    }
  });
});
