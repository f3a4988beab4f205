/** What every records use case is given: the caller, the models, the store, and the clock. */
import type { ModelRegistry } from '../models/registry';
import type { RecordStore } from './port';

/** Who is calling, as the authorizer established it. */
export interface Caller {
  readonly userId: number;
  readonly clientId: string;
}

export interface RecordsDeps {
  readonly registry: ModelRegistry;
  readonly store: RecordStore;
  /** The commit time source; injectable so tests can pin it. */
  readonly now?: () => Date;
  /** Attempts of the read-compute-commit cycle before giving up on conflicts. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}
