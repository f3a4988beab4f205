/**
 * Text compared by code point: Python's str order, PostgreSQL's C collation (Odoo creates its
 * databases with LC_COLLATE 'C') and DynamoDB's order of string keys (their UTF-8 bytes) all agree
 * on it. JavaScript's `<` compares UTF-16 code units, which puts U+10000 and above (surrogate pairs,
 * 0xD800..0xDFFF) before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // The first unit that differs decides; surrogates move above the rest of the BMP.
    return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
