/** RemovalsRepo on SQLite. PLACEHOLDER: being written (issue 12); every method throws until then. */
import type Database from 'better-sqlite3';
import type { RemovalsRepo } from '../removals.ts';

const pending = (): never => {
  throw new Error('RemovalsRepo: not written yet');
};

export class SqliteRemovals implements RemovalsRepo {
  constructor(private readonly db: Database.Database) {
    void this.db;
  }
  upsertExpected = pending;
  getExpected = pending;
  listExpected = pending;
  receive = pending;
  addPosting = pending;
  getPosting = pending;
  postings = pending;
  matchPosting = pending;
}
