/** Request parameters that are not Python literals. */
import { InvalidIdsError } from '../errors';
import type { PyValue } from '../wire/pyvalue';

/** Odoo ids are PostgreSQL int4 serials. */
const MAX_ID = 2 ** 31 - 1;
const ID = /^[1-9][0-9]*$/;

/**
 * `ids=17,20`: a comma-separated list of positive integers (spaces around them allowed).
 * Duplicates collapse, keeping the first position. Anything else is a 400 that names the element.
 */
export function parseIds(text: string): number[] {
  if (text.trim() === '') throw new InvalidIdsError("'ids' is empty: give comma-separated record ids, e.g. ids=17,20");
  const ids: number[] = [];
  const seen = new Set<number>();
  text.split(',').forEach((raw, index) => {
    const element = raw.trim();
    const id = ID.test(element) ? Number(element) : NaN;
    if (!(id <= MAX_ID)) {
      const shown = element.length > 20 ? `${element.slice(0, 20)}...` : element;
      throw new InvalidIdsError(
        `Invalid 'ids': element ${index + 1} (${JSON.stringify(shown)}) is not a positive integer id; expected comma-separated ids, e.g. ids=17,20`,
      );
    }
    if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  });
  return ids;
}

/**
 * `ids` given as a value rather than query text (a body key): a list of ids, one id, or the same
 * comma-separated text as in the query. The elements must be ints; they are checked as parseIds does.
 */
export function idsFromValue(value: PyValue): number[] {
  if (typeof value === 'string') return parseIds(value);
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new InvalidIdsError("'ids' is empty: give record ids, e.g. [17, 20]");
  return parseIds(
    items
      .map((item, index) => {
        if (typeof item === 'number' || typeof item === 'bigint') return String(item);
        throw new InvalidIdsError(`Invalid 'ids': element ${index + 1} is not a positive integer id; expected a list of ids, e.g. [17, 20]`);
      })
      .join(','),
  );
}
