/** FbaShipmentsRepo on SQLite. PLACEHOLDER: being written (issue 12); every method throws until then. */
import type Database from 'better-sqlite3';
import type { FbaShipmentsRepo } from '../fba.ts';

const pending = (): never => {
  throw new Error('FbaShipmentsRepo: not written yet');
};

export class SqliteFbaShipments implements FbaShipmentsRepo {
  constructor(private readonly db: Database.Database) {
    void this.db;
  }
  get = pending;
  put = pending;
  list = pending;
}
