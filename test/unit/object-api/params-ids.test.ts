import { InvalidIdsError } from '../../../lib/errors';
import { idsFromValue, parseIds } from '../../../lib/object-api/params';
import { PyFloat } from '../../../lib/wire/pyvalue';
import { thrown } from '../../helpers/thrown';

// DESIGN §1: `ids` is comma-separated positive integers; duplicates collapse; anything else is a
// 400. Odoo ids are PostgreSQL int4 serials, so the largest id is 2**31 - 1.

/** Calls parseIds and returns what it threw (failing the test if it did not throw). */
function thrownBy(text: string): unknown {
  try {
    parseIds(text);
  } catch (error) {
    return error;
  }
  throw new Error(`parseIds(${JSON.stringify(text)}) did not throw`);
}

describe('params', () => {
  describe('parseIds', () => {
    it.each<[string, number[]]>([
      ['17', [17]],
      ['17,20', [17, 20]],
      ['20,17', [20, 17]],
      ['1,2,3,4,5', [1, 2, 3, 4, 5]],
      ['2147483647', [2147483647]],
    ])('returns the ids of %j in the given order', (text, expected) => {
      expect(parseIds(text)).toStrictEqual(expected);
    });

    it.each<[string, number[]]>([
      [' 17 , 20 ', [17, 20]],
      ['17, 20', [17, 20]],
      ['17 ,20', [17, 20]],
      ['\t17,\t20\t', [17, 20]],
    ])('returns the ids when %j has spaces around the elements', (text, expected) => {
      expect(parseIds(text)).toStrictEqual(expected);
    });

    it.each<[string, number[]]>([
      ['17,17', [17]],
      ['17,20,17', [17, 20]],
      ['20,17,20,17', [20, 17]],
      ['5,4,5,3,4,5', [5, 4, 3]],
      ['17, 17 ,17', [17]],
    ])('returns %j with duplicates collapsed, each id at its first position', (text, expected) => {
      expect(parseIds(text)).toStrictEqual(expected);
    });

    it.each<[string, string]>([
      ['an empty string', ''],
      ['only spaces', '   '],
    ])('throws InvalidIdsError (400) when ids is %s', (_label, text) => {
      const error = thrownBy(text);
      expect(error).toBeInstanceOf(InvalidIdsError);
      expect((error as InvalidIdsError).status).toBe(400);
      expect((error as InvalidIdsError).code).toBe('INVALID_IDS');
    });

    // Each case: the text, and the offending element the message must name.
    it.each<[string, string, string]>([
      ['a trailing comma', '17,', ''],
      ['a leading comma', ',17', ''],
      ['an empty element in the middle', '17,,20', ''],
      ['zero', '0', '0'],
      ['zero among valid ids', '17,0', '0'],
      ['a negative id', '-5', '-5'],
      ['a negative id after a valid one', '17,-20', '-20'],
      ['a leading zero', '017', '017'],
      ['a lone leading-zero element', '17,00', '00'],
      ['a float', '1.5', '1.5'],
      ['a float with a zero fraction', '17.0', '17.0'],
      ['an exponent', '1e3', '1e3'],
      ['letters', 'abc', 'abc'],
      ['letters after a valid id', '17,abc', 'abc'],
      ['a hexadecimal literal', '0x11', '0x11'],
      ['a number with letters', '17a', '17a'],
      ['a space inside the number', '1 7', '1 7'],
      ['a plus sign', '+17', '+17'],
      ['an id just above 2**31 - 1', '2147483648', '2147483648'],
      ['an id far above 2**31 - 1', '17,99999999999999999999', '99999999999999999999'],
      ['Arabic-Indic digits', '١٧', '١٧'],
      ['a Python list', '[17,20]', '[17'],
    ])('throws InvalidIdsError naming the element when ids has %s (%j)', (_label, text, element) => {
      const error = thrownBy(text);
      expect(error).toBeInstanceOf(InvalidIdsError);
      expect((error as InvalidIdsError).status).toBe(400);
      expect((error as InvalidIdsError).message).toContain(JSON.stringify(element));
    });

    it('throws a message that says which element is wrong when several are given', () => {
      const error = thrownBy('17,20,x,30');
      expect(error).toBeInstanceOf(InvalidIdsError);
      expect((error as InvalidIdsError).message).toMatch(/element 3\b/);
      expect((error as InvalidIdsError).message).toContain('"x"');
    });

    it('throws a message of bounded length when the bad element is huge', () => {
      const error = thrownBy(`17,${'9'.repeat(10_000)}`);
      expect(error).toBeInstanceOf(InvalidIdsError);
      expect((error as InvalidIdsError).message.length).toBeLessThan(300);
    });
  });
  describe('idsFromValue (ids given in a body)', () => {
    it.each<[string, Parameters<typeof idsFromValue>[0], number[]]>([
      ['a list of ids', [17, 20, 17], [17, 20]],
      ['one id', 17, [17]],
      ['the comma-separated text of the query', '17, 20', [17, 20]],
    ])('returns the ids of %s', (_label, value, expected) => {
      expect(idsFromValue(value)).toStrictEqual(expected);
    });

    it.each<[string, Parameters<typeof idsFromValue>[0], string]>([
      ['an empty list', [], "'ids' is empty: give record ids, e.g. [17, 20]"],
      ['a str inside the list', [17, '20'], "Invalid 'ids': element 2 is not a positive integer id; expected a list of ids, e.g. [17, 20]"],
      ['a float', [new PyFloat(17)], "Invalid 'ids': element 1 is not a positive integer id; expected a list of ids, e.g. [17, 20]"],
      ['a negative id', [-1], `Invalid 'ids': element 1 ("-1") is not a positive integer id; expected comma-separated ids, e.g. ids=17,20`],
      ['an id beyond int4', [2n ** 40n], `Invalid 'ids': element 1 ("1099511627776") is not a positive integer id; expected comma-separated ids, e.g. ids=17,20`],
      ['a dict', new Map(), "Invalid 'ids': element 1 is not a positive integer id; expected a list of ids, e.g. [17, 20]"],
    ])('throws InvalidIdsError for %s', (_label, value, message) => {
      const error = thrown(() => idsFromValue(value));
      expect(error).toBeInstanceOf(InvalidIdsError);
      expect((error as InvalidIdsError).message).toBe(message);
    });
  });
});
