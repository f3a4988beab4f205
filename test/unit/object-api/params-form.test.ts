/**
 * Issue 16: form fields as parameters (Odoo's http layer hands them to the route like the query's),
 * and the parameters whose value is a string taking raw text as the original did (eval, then
 * json.loads, else the text itself), while those that cannot be a string keep their clear 400.
 */
import { BadRequestError, InvalidLiteralError, PayloadTooLargeError } from '../../../lib/errors';
import { bindParams, bodyParams, formFields, type MethodSignature } from '../../../lib/object-api/params';
import { pyDict, PyFloat } from '../../../lib/wire/pyvalue';
import { thrown } from '../../helpers/thrown';

const WRITE: MethodSignature = { method: 'write', params: ['vals'] };
const SEARCH_READ: MethodSignature = { method: 'search_read', params: ['domain', 'fields', 'offset', 'limit', 'order'] };
const NAME_SEARCH: MethodSignature = { method: 'name_search', params: ['name', 'args', 'operator', 'limit'] };

const texts = (entries: Record<string, string | string[]>) =>
  new Map(Object.entries(entries).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]));

function badRequest(run: () => unknown): string {
  const error = thrown(run);
  if (!(error instanceof BadRequestError)) throw error;
  return error.message;
}

describe('form fields as parameters', () => {
  it('reads form fields as query text is read: ids, vals and the rest', () => {
    const params = bindParams(WRITE, new Map(), new Map(), texts({ ids: '17,20', vals: "{'street2': 'Chung Hsiao East Road'}", context: "{'lang': 'en_US'}" }));
    expect([params.get('ids'), params.literal('vals'), params.literal('context')]).toStrictEqual([
      { text: '17,20' },
      pyDict([['street2', 'Chung Hsiao East Road']]),
      pyDict([['lang', 'en_US']]),
    ]);
  });

  it('takes query and form parameters side by side', () => {
    const params = bindParams(WRITE, texts({ ids: '17' }), new Map(), texts({ vals: '{"ref": "x"}' }));
    expect([params.get('ids'), params.literal('vals')]).toStrictEqual([{ text: '17' }, pyDict([['ref', 'x']])]);
  });

  it('refuses a parameter given in the query and in the form', () => {
    expect(badRequest(() => bindParams(WRITE, texts({ ids: '17' }), new Map(), texts({ ids: '20', vals: '{}' })))).toBe(
      "Parameter 'ids' is given more than once: in the query and in the form body",
    );
  });

  it('refuses a form field given twice when it is read, as a repeated query parameter', () => {
    const params = bindParams(WRITE, new Map(), new Map(), texts({ ids: ['17', '20'] }));
    expect(badRequest(() => params.get('ids'))).toBe("Parameter 'ids' is given more than once");
  });

  it('leaves the oauth_* protocol parameters of a form to the signature, even beside query ones', () => {
    const params = bindParams(WRITE, texts({ oauth_nonce: 'a' }), new Map(), texts({ oauth_nonce: 'b', vals: '{}' }));
    expect([params.get('oauth_nonce'), params.literal('vals')]).toStrictEqual([{ text: 'a' }, pyDict([])]);
  });

  it('maps form args and kwargs onto the signature like query ones, and says where a duplicate came from', () => {
    const params = bindParams(SEARCH_READ, new Map(), new Map(), texts({ args: "[[('code','=','BE')]]", kwargs: "{'limit': 5}" }));
    expect([params.literal('domain'), params.literal('limit')]).toStrictEqual([[['code', '=', 'BE']], 5]);
    expect(badRequest(() => bindParams(SEARCH_READ, new Map(), new Map(), texts({ limit: '5', kwargs: "{'limit': 6}" })))).toBe(
      "search_read() got multiple values for argument 'limit': the form field 'limit' and kwargs['limit']",
    );
  });

  it('formFields groups the pairs by name, and refuses a body over the bound with 413', () => {
    const request = (body: string) => ({ headers: new Map([['content-type', 'application/x-www-form-urlencoded']]), body });
    expect(formFields(request('ids=17%2C20&x=1&x=2'))).toStrictEqual(texts({ ids: '17,20', x: ['1', '2'] }));
    expect(formFields({ headers: new Map(), body: 'ids=17' })).toStrictEqual(new Map());
    expect(thrown(() => formFields(request(`vals=${'x'.repeat(100_000)}`)))).toBeInstanceOf(PayloadTooLargeError);
  });
});

describe('parameters whose value is a string: raw text where the original had it', () => {
  const nameSearch = (entries: Record<string, string>) => bindParams(NAME_SEARCH, texts(entries), new Map());

  it.each<[string, string, unknown]>([
    ['a bare word', 'Edward', 'Edward'],
    ['words with a space', 'Edward Smith', 'Edward Smith'],
    ['a quoted string', "'Edward'", 'Edward'],
    ['a JSON string', '"Edward"', 'Edward'],
    ['Python False', 'False', false],
    ['JSON null', 'null', null],
    ['an int', '2020', 2020],
    ['a float', '1.5', new PyFloat(1.5)],
    ['text that starts a list and stops', '[1,', '[1,'],
    ['a builtin name (eval would give the builtin)', 'id', 'id'],
    ['nothing', '', ''],
  ])('name= %s is %p', (_label, text, expected) => {
    expect(nameSearch({ name: text }).stringLiteral('name')).toStrictEqual(expected);
  });

  it('order and operator read raw text, a quoted string, or None/False as no value', () => {
    const read = (order: string) => bindParams(SEARCH_READ, texts({ order }), new Map()).string('order');
    expect([read('name asc'), read("'name desc'"), read('id'), read('None'), read('False')]).toStrictEqual(['name asc', 'name desc', 'id', undefined, undefined]);
    expect([nameSearch({ operator: 'ilike' }).string('operator'), nameSearch({ operator: "'='" }).string('operator'), nameSearch({ operator: '=' }).string('operator')]).toStrictEqual([
      'ilike',
      '=',
      '=',
    ]);
    expect(badRequest(() => read('5'))).toBe("'order' must be a string");
  });

  it('values that came parsed (body keys, kwargs) are as they came', () => {
    const params = bindParams(NAME_SEARCH, new Map(), new Map([['kwargs', pyDict([['name', 'Edward'], ['operator', '=']])]]));
    expect([params.stringLiteral('name'), params.string('operator')]).toStrictEqual(['Edward', '=']);
  });

  it.each<[string, string]>([
    ['vals', 'street2'],
    ['domain', 'name'],
    ['fields', 'name'],
    ['args', 'Edward'],
    ['kwargs', 'limit'],
  ])('%s=<bare word> stays a 400 saying where parsing stopped', (name, text) => {
    const run = () => {
      const params = bindParams(name === 'vals' ? WRITE : SEARCH_READ, texts({ [name]: text }), new Map());
      return params.literal(name === 'args' || name === 'kwargs' ? 'domain' : name);
    };
    const error = thrown(run);
    expect(error).toBeInstanceOf(InvalidLiteralError);
    expect((error as InvalidLiteralError).message).toMatch(new RegExp(`^Cannot parse '${name}': .*${text}`));
  });
});

describe('bodyParams: bodies that are not literals', () => {
  it('says what is missing when a form-looking body comes without a Content-Type or as text/plain', () => {
    expect(badRequest(() => bodyParams('ids=17%2C20&vals=%7B%7D', undefined, true))).toBe(
      "The body looks form-encoded but has no Content-Type: send it with 'Content-Type: application/x-www-form-urlencoded' (such a body is read as a Python literal, JSON or XML)",
    );
    expect(badRequest(() => bodyParams('ids=17&vals=x', 'text/plain;charset=UTF-8', true))).toBe(
      "The body looks form-encoded but is sent as text/plain: send it with 'Content-Type: application/x-www-form-urlencoded' (such a body is read as a Python literal, JSON or XML)",
    );
  });

  it('says so for a form-looking body labelled JSON too (serverless-offline labels a body without a type so), echoing no odd type', () => {
    expect(badRequest(() => bodyParams('ids=17&vals=x', 'application/json', true))).toMatch(/^The body looks form-encoded but is sent as application\/json: /);
    expect(badRequest(() => bodyParams('ids=17&vals=x', '<script>/x', true))).toMatch(/^The body looks form-encoded but is sent with another Content-Type: /);
  });

  it('keeps the parser error for a body that is no form', () => {
    expect(thrown(() => bodyParams('{"vals": ', undefined, true))).toBeInstanceOf(InvalidLiteralError);
    expect(thrown(() => bodyParams('a = b', undefined, true))).toBeInstanceOf(InvalidLiteralError);
  });

  it('refuses multipart/form-data clearly', () => {
    expect(badRequest(() => bodyParams('--x\r\nContent-Disposition: form-data; name="ids"\r\n\r\n17\r\n--x--', 'multipart/form-data; boundary=x', true))).toBe(
      'multipart/form-data bodies are not read here: send the fields as application/x-www-form-urlencoded, or a JSON body',
    );
  });
});
