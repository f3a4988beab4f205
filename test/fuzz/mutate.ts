/**
 * Text mutations for the robustness properties: valid input, then a few edits (insert, delete,
 * replace, truncate, duplicate, swap, wrap in nesting), so the parsers see input that is almost
 * right, which reaches far deeper into them than random text does.
 */
import fc from 'fast-check';

export type Mutation =
  | { readonly op: 'insert' | 'replace'; readonly at: number; readonly text: string }
  | { readonly op: 'delete' | 'truncate'; readonly at: number; readonly count: number }
  | { readonly op: 'duplicate' | 'swap'; readonly at: number; readonly count: number; readonly times: number }
  | { readonly op: 'wrap'; readonly at: number; readonly count: number; readonly open: string; readonly close: string; readonly times: number };

/** The longest text a mutation may produce; keeps the jest smoke's inputs bounded. */
export const MAX_MUTATED_LENGTH = 20_000;

export interface MutationOptions {
  /** Characters and short tokens of the grammar under test. */
  readonly tokens: fc.Arbitrary<string>;
  /** Opening/closing pairs that nest in the grammar ('[' / ']'). */
  readonly pairs: ReadonlyArray<readonly [string, string]>;
}

export function mutationArb({ tokens, pairs }: MutationOptions): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  const count = fc.integer({ min: 1, max: 12 });
  return fc.oneof(
    fc.record({ op: fc.constantFrom('insert' as const, 'replace' as const), at, text: tokens }),
    fc.record({ op: fc.constantFrom('delete' as const, 'truncate' as const), at, count }),
    fc.record({ op: fc.constantFrom('duplicate' as const, 'swap' as const), at, count, times: fc.integer({ min: 1, max: 3 }) }),
    fc.record({
      op: fc.constant('wrap' as const),
      at,
      count,
      open: fc.constantFrom(...pairs.map(([open]) => open)),
      close: fc.constantFrom(...pairs.map(([, close]) => close)),
      times: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 28, max: 40 }), fc.integer({ min: 100, max: 1500 })),
    }),
  );
}

export function applyMutation(text: string, mutation: Mutation): string {
  const at = text.length === 0 ? 0 : mutation.at % (text.length + 1);
  let out: string;
  switch (mutation.op) {
    case 'insert':
      out = text.slice(0, at) + mutation.text + text.slice(at);
      break;
    case 'replace':
      out = text.slice(0, at) + mutation.text + text.slice(at + mutation.text.length);
      break;
    case 'delete':
      out = text.slice(0, at) + text.slice(at + mutation.count);
      break;
    case 'truncate':
      out = text.slice(0, at);
      break;
    case 'duplicate': {
      const piece = text.slice(at, at + mutation.count);
      out = text.slice(0, at) + piece.repeat(mutation.times + 1) + text.slice(at + mutation.count);
      break;
    }
    case 'swap': {
      // Moves a slice `times` characters further right: a transposition.
      const piece = text.slice(at, at + mutation.count);
      const rest = text.slice(0, at) + text.slice(at + mutation.count);
      const to = Math.min(rest.length, at + mutation.times);
      out = rest.slice(0, to) + piece + rest.slice(to);
      break;
    }
    case 'wrap': {
      const end = Math.min(text.length, at + mutation.count);
      out = text.slice(0, at) + mutation.open.repeat(mutation.times) + text.slice(at, end) + mutation.close.repeat(mutation.times) + text.slice(end);
      break;
    }
  }
  return out.length > MAX_MUTATED_LENGTH ? out.slice(0, MAX_MUTATED_LENGTH) : out;
}

/** `base` texts, each edited by 1 to 5 mutations. */
export function mutatedArb(base: fc.Arbitrary<string>, options: MutationOptions): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.array(mutationArb(options), { minLength: 1, maxLength: 5 }))
    .map(([text, mutations]) => mutations.reduce(applyMutation, text));
}

/** Text made of the grammar's tokens in random order: a soup that reaches odd parser states. */
export function soupArb(tokens: fc.Arbitrary<string>, maxLength = 60): fc.Arbitrary<string> {
  return fc.array(tokens, { maxLength }).map((parts) => parts.join(''));
}

/** Random text of every kind fast-check makes: graphemes, any UTF-16 unit, ASCII. */
export const anyTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'binary-ascii', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);
