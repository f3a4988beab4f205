/**
 * Text in index keys (the field indexes' value keys, keys.ts, and the order keys, order.ts): escaped
 * so that TEXT_END, which ends a text in a key, never occurs inside one. A key can then be cut at its
 * texts' ends (keys.ts walkKeyOfEntry), and a text sorts before its extensions, in code point order:
 * U+0000 and U+0001 become two characters starting with U+0001, below every other character and
 * in the same order among themselves; TEXT_END is below both.
 */

/** Ends a text in a key: below every escaped character, and never inside an escaped text. */
export const TEXT_END = '\u0001\u0001';
const ESCAPES: Readonly<Record<string, string>> = { '\u0000': '\u0001\u0002', '\u0001': '\u0001\u0003' };

/** `text` escaped, cut at a character so that its UTF-8 holds at most `maxBytes`. */
export function escapedText(text: string, maxBytes: number): string {
  let out = '';
  let used = 0;
  for (const char of text) {
    const piece = ESCAPES[char] ?? char;
    used += Buffer.byteLength(piece, 'utf8');
    if (used > maxBytes) break;
    out += piece;
  }
  return out;
}

/** Whether `text` escaped holds more than `maxBytes` of UTF-8 (escapedText cuts it). */
export function escapedTooLong(text: string, maxBytes: number): boolean {
  let used = 0;
  for (const char of text) {
    used += Buffer.byteLength(ESCAPES[char] ?? char, 'utf8');
    if (used > maxBytes) return true;
  }
  return false;
}
