/**
 * The ids one request takes from the models' sequences for the records it creates. They are kept
 * across the request's own retries (a conflict elsewhere does not spend new ones) and given back
 * when the request ends without creating them, so a failed create leaves no gap in the common
 * case. Ids are never reused: they go back only while no record holds them and the sequence still
 * ends at them (a reservation above still held keeps the gap, as a PostgreSQL sequence does after
 * a rollback).
 */
import { recordKeyString, type IdReservation, type RecordKey, type RecordStore } from './port';

export class ReservedIds {
  readonly #held: IdReservation[] = [];
  /** What the request's one call of kept() took, until forgetAll(). */
  #kept: Promise<unknown> | undefined;

  constructor(private readonly store: RecordStore) {}

  /** `count` fresh ids of `model`, held until the request ends. */
  async take(model: string, count: number): Promise<number[]> {
    const reservation = await this.store.reserveIds(model, count);
    this.#held.push(reservation);
    return [...reservation.ids];
  }

  /**
   * The ids `take` reserves (with take()), taken on the first call and the same on the request's
   * later attempts, until forgetAll(). A request reserves all its ids in one such call.
   */
  kept<T>(take: () => Promise<T>): Promise<T> {
    this.#kept ??= take();
    return this.#kept as Promise<T>;
  }

  /**
   * Forgets every held id: records loaded with explicit ids took some of them, and the request
   * will take new ones (giving those back would only hand them to the next create to fail on).
   */
  forgetAll(): void {
    this.#held.length = 0;
    this.#kept = undefined;
  }

  /**
   * After a request that failed: gives back each reservation none of whose records exists (read
   * first: a write whose answer was lost may have created them). Best effort, and never the
   * request's error: when DynamoDB cannot tell, the ids stay skipped. Returns the ids given back.
   */
  async giveBack(): Promise<number[]> {
    const held = this.#held.splice(0).filter((reservation) => reservation.ids.length > 0);
    if (held.length === 0) return [];
    try {
      const keys: RecordKey[] = held.flatMap(({ model, ids }) => ids.map((id) => ({ model, id })));
      const existing = await this.store.getMany(keys, { consistent: true });
      const unused = held.filter(({ model, ids }) => ids.every((id) => !existing.has(recordKeyString({ model, id }))));
      // Highest first: the counter stands at the request's highest range of a model, and each range
      // given back uncovers the one below it.
      unused.sort((a, b) => (b.ids[0] as number) - (a.ids[0] as number));
      const released: number[] = [];
      for (const reservation of unused) if (await this.store.releaseIds(reservation)) released.push(...reservation.ids);
      return released.sort((a, b) => a - b);
    } catch {
      return [];
    }
  }
}
