/** Decimal numbers as text, as PostgreSQL casts them and Python's int()/float() read them (no `_`, no hex). */

const INT_TEXT = /^[+-]?[0-9]+$/;
const FLOAT_TEXT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** `-12`, `+3`, `007`: an optional sign and decimal digits. */
export function isIntText(text: string): boolean {
  return INT_TEXT.test(text);
}

/** `1.5`, `.5`, `2.`, `1e-3`: a finite decimal number (NaN and Infinity are not). */
export function isFloatText(text: string): boolean {
  return FLOAT_TEXT.test(text);
}
