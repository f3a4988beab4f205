/**
 * Form bodies (application/x-www-form-urlencoded) as every route reads them: what Python's
 * `requests.put(url, data={...})` sends, decoded as werkzeug decodes it for Odoo — by the
 * Content-Type alone — except that bytes which are not text in the form's charset are a 400
 * instead of being replaced.
 */
import { BadRequestError } from '../../../lib/errors';
import { charsetOf, formPairs, isFormRequest } from '../../../lib/http';
import { thrown } from '../../helpers/thrown';

/** A request with `body` and `contentType` (null: no Content-Type header). */
const form = (body: string | undefined, contentType: string | null = 'application/x-www-form-urlencoded') => ({
  headers: new Map(contentType === null ? [] : [['content-type', contentType]]),
  body,
});

function badRequest(run: () => unknown): string {
  const error = thrown(run);
  if (!(error instanceof BadRequestError)) throw error;
  return error.message;
}

describe('formPairs', () => {
  it("decodes what Python's requests sends for data={'ids': '17,20', 'vals': \"{'street2': 'Chung Hsiao East Road'}\"}", () => {
    // urllib.parse.urlencode: quote_plus, so spaces are '+' and ',' '{' ':' are escaped.
    const body = 'ids=17%2C20&vals=%7B%27street2%27%3A+%27Chung+Hsiao+East+Road%27%7D';
    expect(formPairs(form(body))).toStrictEqual([
      ['ids', '17,20'],
      ['vals', "{'street2': 'Chung Hsiao East Road'}"],
    ]);
  });

  it('keeps the order and every value of a repeated name, skips empty sequences, and reads a name without = as empty', () => {
    expect(formPairs(form('b=2&a=1&&b=3&flag&=x'))).toStrictEqual([
      ['b', '2'],
      ['a', '1'],
      ['b', '3'],
      ['flag', ''],
      ['', 'x'],
    ]);
  });

  it('decodes %XX as UTF-8 bytes, keeps a % without two hex digits, and takes raw non-ASCII as it came', () => {
    expect(formPairs(form('name=Caf%C3%A9+%E2%82%AC&pct=100%&odd=%zz%4&raw=Zoë'))).toStrictEqual([
      ['name', 'Café €'],
      ['pct', '100%'],
      ['odd', '%zz%4'],
      ['raw', 'Zoë'],
    ]);
  });

  it("honours the charset parameter, whatever its case or quotes: latin-1's %E9 is é", () => {
    expect(formPairs(form('name=Caf%E9', 'application/x-www-form-urlencoded; charset=ISO-8859-1'))).toStrictEqual([['name', 'Café']]);
    expect(formPairs(form('name=Caf%C3%A9', 'Application/X-WWW-Form-Urlencoded;Charset="UTF-8"'))).toStrictEqual([['name', 'Café']]);
  });

  it('refuses bytes that are not UTF-8 (no silent U+FFFD), and a charset nobody knows', () => {
    expect(badRequest(() => formPairs(form('ids=17&name=Caf%E9')))).toBe('The form body\'s field "name" is not valid utf-8 once percent-decoded');
    expect(badRequest(() => formPairs(form('%FF=1')))).toBe("The form body's field name is not valid utf-8 once percent-decoded");
    expect(badRequest(() => formPairs(form('a=1', 'application/x-www-form-urlencoded; charset=klingon')))).toBe(
      'Unsupported charset "klingon" for the form body; send it as UTF-8 (the default)',
    );
  });

  it('is undefined without a body, or for any other Content-Type, however much the body looks like a form', () => {
    expect(formPairs(form(undefined))).toBeUndefined();
    expect(formPairs(form(''))).toBeUndefined();
    expect(formPairs(form('a=b&c=d', null))).toBeUndefined();
    expect(formPairs(form('a=b&c=d', 'text/plain'))).toBeUndefined();
    expect(formPairs(form('a=b&c=d', 'multipart/form-data; boundary=x'))).toBeUndefined();
  });
});

describe('isFormRequest and charsetOf', () => {
  it('decides by the media type alone, parameters and case aside', () => {
    expect([
      isFormRequest(form('', 'application/x-www-form-urlencoded; charset=utf-8')),
      isFormRequest(form('', ' APPLICATION/x-www-form-urlencoded')),
      isFormRequest(form('', 'application/json')),
      isFormRequest(form('', null)),
    ]).toStrictEqual([true, true, false, false]);
  });

  it('reads the charset parameter among others, or none', () => {
    expect([
      charsetOf('application/x-www-form-urlencoded; boundary=x; charset=Latin1'),
      charsetOf('text/plain;charset="utf-8"'),
      charsetOf('application/x-www-form-urlencoded'),
      charsetOf(undefined),
    ]).toStrictEqual(['latin1', 'utf-8', undefined, undefined]);
  });
});
