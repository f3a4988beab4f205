import {
  AuthenticationRequiredError,
  InvalidFieldError,
  ModelNotFoundError,
  pyRepr,
  RecordNotFoundError,
  ServiceUnavailableError,
} from '../../../lib/errors';

// pyRepr must print what Python 3's repr() of the same str prints, since Odoo's messages embed
// names with %r ("Invalid field %r on model %r").

describe('errors', () => {
  describe('pyRepr', () => {
    it.each<[string, string, string]>([
      ['a plain name', 'x', "'x'"],
      ['the empty string', '', "''"],
      ['a dotted model name', 'res.partner', "'res.partner'"],
      ['a single quote (switches to double quotes)', "it's", `"it's"`],
      ['double quotes only', 'say "hi"', `'say "hi"'`],
      ['both quotes (keeps single quotes, escapes them)', `it's "x"`, `'it\\'s "x"'`],
      ['a backslash', 'a\\b', "'a\\\\b'"],
      ['a newline', 'a\nb', "'a\\nb'"],
      ['a carriage return', 'a\rb', "'a\\rb'"],
      ['a tab', 'a\tb', "'a\\tb'"],
      ['printable non-ASCII text', 'Café 繁體', "'Café 繁體'"],
      ['a NUL', 'a\u0000b', "'a\\x00b'"],
      ['an escape character', '\u001b[31m', "'\\x1b[31m'"],
      ['DEL', '\u007f', "'\\x7f'"],
      ['a C1 control', '\u0085', "'\\x85'"],
      ['a line separator', '\u2028', "'\\u2028'"],
    ])('returns repr() of %s', (_label, text, expected) => {
      expect(pyRepr(text)).toBe(expected);
    });
  });

  describe('error classes', () => {
    it.each<[string, Error & { status: number; code: string }, number, string, string]>([
      ['InvalidFieldError', new InvalidFieldError('x', 'res.partner'), 403, 'INVALID_FIELD', "Invalid field 'x' on model 'res.partner'"],
      ['RecordNotFoundError', new RecordNotFoundError('res.partner', [99, 104]), 404, 'RECORD_NOT_FOUND', 'Record not found: res.partner(99, 104)'],
      ['ModelNotFoundError', new ModelNotFoundError('x.y'), 404, 'MODEL_NOT_FOUND', "Object x.y doesn't exist"],
      ['AuthenticationRequiredError', new AuthenticationRequiredError('expired token'), 401, 'AUTHENTICATION_REQUIRED', 'Authentication required'],
    ])('returns the status, code and Odoo text of a %s', (name, error, status, code, message) => {
      expect([error.name, error.status, error.code, error.message]).toStrictEqual([name, status, code, message]);
    });

    it('returns a 503 that keeps its cause for the logs but does not put it in the message', () => {
      const cause = new Error('ThrottlingException');
      const error = new ServiceUnavailableError(2, { cause });
      expect([error.status, error.retryAfterSeconds, error.cause]).toStrictEqual([503, 2, cause]);
      expect(error.message).not.toContain('Throttling');
    });
  });
});
