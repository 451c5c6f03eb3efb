/** Errors of the message store, whatever the backend. */

export class StoreError extends Error {
  constructor(
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export class BlobIntegrityError extends StoreError {
  override name = 'BlobIntegrityError';
}

/** The store key is malformed, or not the key the stored raw files were written with: a configuration error. */
export class StoreKeyError extends StoreError {
  override name = 'StoreKeyError';
}

/** A received interchange whose sender and control number another recorded receipt already holds. */
export interface HeldInterchange {
  /** qualifier:id, as recorded. */
  sender: string;
  control: string;
}

/**
 * `recordFile` refused a file because interchanges in it were already received: nothing of the
 * file was recorded. The caller records it again with those interchanges marked duplicates.
 */
export class DuplicateInterchangeError extends StoreError {
  override name = 'DuplicateInterchangeError';

  constructor(readonly interchanges: HeldInterchange[]) {
    super(`interchange${interchanges.length > 1 ? 's' : ''} ${interchanges.map((i) => `${i.control} from ${i.sender}`).join(', ')} already received`, { interchanges });
  }
}
