import { bindParams, bodyParams, type CallParams, type MethodSignature } from '../../../lib/object-api/params';
import { BadRequestError, InvalidLiteralError, InvalidXmlError, PayloadTooLargeError } from '../../../lib/errors';
import { PyFloat, pyDict, type PyValue } from '../../../lib/wire/pyvalue';
import { thrown } from '../../helpers/thrown';

const SEARCH_READ: MethodSignature = { method: 'search_read', params: ['domain', 'fields', 'offset', 'limit', 'order'] };
const WRITE: MethodSignature = { method: 'write', params: ['vals'] };
const UNLINK: MethodSignature = { method: 'unlink', params: [] };
const NAME_SEARCH: MethodSignature = { method: 'name_search', params: ['name', 'args', 'operator', 'limit'] };

const query = (entries: Record<string, string | string[]>) => new Map(Object.entries(entries).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]));
const body = (entries: Record<string, PyValue>) => new Map(Object.entries(entries));

/** Every parameter of `names` as a route reads it: query text parsed, other values as they are. */
function literals(params: CallParams, names: readonly string[]): Record<string, PyValue | undefined> {
  return Object.fromEntries(names.map((name) => [name, params.literal(name)]));
}

function badRequest(run: () => unknown): string {
  const error = thrown(run);
  if (!(error instanceof BadRequestError)) throw error;
  return error.message;
}

describe('call-params', () => {
  describe('bindParams', () => {
    it('maps positional args onto the signature in order', () => {
      const params = bindParams(SEARCH_READ, query({ args: "[[('code','=','BE')], ['name'], 0, 5]" }), new Map());
      expect(literals(params, SEARCH_READ.params)).toStrictEqual({ domain: [['code', '=', 'BE']], fields: ['name'], offset: 0, limit: 5, order: undefined });
    });

    it('maps kwargs by name, context included', () => {
      const params = bindParams(SEARCH_READ, query({ kwargs: "{'fields': ['name'], 'order': 'name desc', 'context': {'active_test': False}}" }), new Map());
      expect(literals(params, ['fields', 'order', 'context', 'domain'])).toStrictEqual({
        fields: ['name'],
        order: 'name desc',
        context: pyDict([['active_test', false]]),
        domain: undefined,
      });
      expect(params.text('order')).toBe('name desc');
    });

    it('combines positional args, kwargs and named query parameters that do not overlap', () => {
      const params = bindParams(SEARCH_READ, query({ args: '[[]]', kwargs: "{'limit': 2}", fields: "['name']", order: 'id desc' }), new Map());
      expect(literals(params, ['domain', 'limit', 'fields'])).toStrictEqual({ domain: [], limit: 2, fields: ['name'] });
      // Query text that is plain text stays text.
      expect(params.text('order')).toBe('id desc');
    });

    it('takes args and kwargs from the body as well, as values', () => {
      const params = bindParams(SEARCH_READ, new Map(), body({ args: [[['code', '=', 'TW']]], kwargs: pyDict([['limit', 1]]) }));
      expect(params.get('domain')).toStrictEqual({ value: [['code', '=', 'TW']] });
      expect(params.get('limit')).toStrictEqual({ value: 1 });
    });

    it('reads a tuple as args, as Python would', () => {
      expect(bindParams(WRITE, query({ args: "({'ref': 'x'},)" }), new Map()).literal('vals')).toStrictEqual(pyDict([['ref', 'x']]));
    });

    it("leaves name_search's args alone: it is that method's own parameter (a domain)", () => {
      const params = bindParams(NAME_SEARCH, query({ args: "[('code','in',['BE'])]", kwargs: "{'name': 'Bel', 'limit': 5}" }), new Map());
      expect(literals(params, NAME_SEARCH.params)).toStrictEqual({ name: 'Bel', args: [['code', 'in', ['BE']]], operator: undefined, limit: 5 });
    });

    it('keeps query parameters outside the signature (ids, cursor...) readable by name', () => {
      const params = bindParams(WRITE, query({ ids: '17,20', cursor: 'abc' }), body({ vals: pyDict([['ref', 'x']]) }));
      expect([params.get('ids'), params.text('cursor'), params.literal('vals')]).toStrictEqual([{ text: '17,20' }, 'abc', pyDict([['ref', 'x']])]);
    });

    it.each<[string, MethodSignature, Map<string, string[]>, Map<string, PyValue>, string]>([
      [
        'a positional argument also given by name in the query',
        SEARCH_READ, query({ args: '[[]]', domain: '[]' }), new Map(),
        "search_read() got multiple values for argument 'domain': the query parameter 'domain' and args[0]",
      ],
      [
        'a positional argument also given as a keyword',
        WRITE, query({ args: "[{'ref': 'a'}]", kwargs: "{'vals': {'ref': 'b'}}" }), new Map(),
        "write() got multiple values for argument 'vals': args[0] and kwargs['vals']",
      ],
      [
        'a keyword argument also given in the body',
        WRITE, query({ kwargs: "{'vals': {'ref': 'b'}}" }), body({ vals: new Map() }),
        "write() got multiple values for argument 'vals': the body's 'vals' and kwargs['vals']",
      ],
      [
        'a parameter both in the query and in the body',
        WRITE, query({ vals: "{'ref': 'a'}" }), body({ vals: new Map() }),
        "Parameter 'vals' is given twice: in the query and in the body",
      ],
      [
        'args both in the query and in the body',
        SEARCH_READ, query({ args: '[[]]' }), body({ args: [[]] }),
        "Parameter 'args' is given twice: in the query and in the body",
      ],
      [
        'an unknown keyword',
        SEARCH_READ, query({ kwargs: "{'lmit': 5}" }), new Map(),
        "search_read() got an unexpected keyword argument 'lmit'; it takes domain, fields, offset, limit, order, context",
      ],
      ['ids as a keyword (they are not an argument)', WRITE, query({ kwargs: "{'ids': [17]}" }), new Map(), "write() got an unexpected keyword argument 'ids'; it takes vals, context"],
      [
        'too many positional arguments',
        SEARCH_READ, query({ args: "[[], [], 0, 1, 'id', 'extra']" }), new Map(),
        'search_read() takes at most 5 positional arguments (domain, fields, offset, limit, order) but 6 were given',
      ],
      ['one positional argument too many for one parameter', WRITE, query({ args: '[{}, {}]' }), new Map(), 'write() takes at most 1 positional argument (vals) but 2 were given'],
      ['a positional argument for a method without any', UNLINK, query({ args: '[17]' }), new Map(), 'unlink() takes no positional arguments but 1 was given'],
      ['args that are not a list', SEARCH_READ, query({ args: "{'domain': []}" }), new Map(), "'args' must be a list of the method's positional arguments, e.g. args=[[('name','=','x')]]"],
      ['kwargs that are not a dict', SEARCH_READ, new Map(), body({ kwargs: [1] }), "'kwargs' must be a dict of keyword arguments, e.g. kwargs={'limit': 5}"],
      ['args given twice in the query', SEARCH_READ, query({ args: ['[]', '[]'] }), new Map(), "Parameter 'args' is given more than once"],
    ])('refuses %s with a 400 naming it', (_case, signature, queryParams, bodyParams, message) => {
      expect(badRequest(() => bindParams(signature, queryParams, bodyParams))).toBe(message);
    });

    it('refuses args that do not parse with the literal parser’s 400', () => {
      const error = thrown(() => bindParams(SEARCH_READ, query({ args: '[[' }), new Map()));
      expect(error).toBeInstanceOf(InvalidLiteralError);
      expect((error as Error).message).toBe("Cannot parse 'args': unexpected end of input at position 2");
    });
  });

  describe('CallParams readers', () => {
    it('text() takes query text as it is, a str value as it is, and None as nothing; anything else is a 400', () => {
      const params = bindParams(SEARCH_READ, query({ order: 'name desc' }), body({ cursor: 'abc', domain: null, limit: 5 }));
      expect([params.text('order'), params.text('cursor'), params.text('domain'), params.text('missing')]).toStrictEqual(['name desc', 'abc', undefined, undefined]);
      expect(badRequest(() => params.text('limit'))).toBe("'limit' must be a string");
    });

    it('get() gives query text as it came, the empty string included', () => {
      const params = bindParams(SEARCH_READ, query({ order: '', cursor: 'abc' }), new Map());
      expect([params.get('order'), params.get('cursor'), params.get('missing')]).toStrictEqual([{ text: '' }, { text: 'abc' }, undefined]);
    });

    it('a query parameter given twice is a 400 only when it is read', () => {
      const params = bindParams(SEARCH_READ, query({ fields: ["['a']", "['b']"], other: "['x']" }), new Map());
      expect(params.literal('other')).toStrictEqual(['x']);
      expect(badRequest(() => params.get('fields'))).toBe("Parameter 'fields' is given more than once");
    });
  });

  describe('bodyParams', () => {
    it('gives nothing for no body or a blank one', () => {
      expect(bodyParams(undefined, undefined, true)).toStrictEqual(new Map());
      expect(bodyParams(' \n', 'application/json', false)).toStrictEqual(new Map());
    });

    it("gives a dict body's keys as parameters (JSON, JSON5 or Python)", () => {
      expect(bodyParams('{"args": [[["code", "=", "BE"]]], "kwargs": {"limit": 1}}', 'application/json', false)).toStrictEqual(
        body({ args: [[['code', '=', 'BE']]], kwargs: pyDict([['limit', 1]]) }),
      );
      expect(bodyParams("{'ids': [17, 20], 'vals': {'ref': 'x'}}", 'text/plain', true)).toStrictEqual(body({ ids: [17, 20], vals: pyDict([['ref', 'x']]) }));
      expect(bodyParams("{domain: [['id', '=', 1]]}", undefined, false)).toStrictEqual(body({ domain: [['id', '=', 1]] }));
    });

    it('takes a dict body without vals, args or kwargs as the vals, for a method that takes vals', () => {
      expect(bodyParams('{"name": "x", "color": 4}', 'application/json', true)).toStrictEqual(body({ vals: pyDict([['name', 'x'], ['color', 4]]) }));
      // Elsewhere the same body is parameters.
      expect(bodyParams('{"name": "x"}', 'application/json', false)).toStrictEqual(body({ name: 'x' }));
    });

    it('gives one parameter for an XML body, named by its root, by Content-Type or by its first character', () => {
      expect(bodyParams('<vals><color type="int">4</color></vals>', 'application/xml', true)).toStrictEqual(body({ vals: pyDict([['color', 4]]) }));
      expect(bodyParams('<args><item type="float">1.5</item></args>', undefined, false)).toStrictEqual(body({ args: [new PyFloat(1.5)] }));
      expect(bodyParams('  <kwargs><limit type="int">2</limit></kwargs>', 'text/plain', false)).toStrictEqual(body({ kwargs: pyDict([['limit', 2]]) }));
    });

    it('refuses a body that is not a dict, does not parse, or is too long', () => {
      expect(badRequest(() => bodyParams('[1, 2]', 'application/json', true))).toBe("The body must be a dict: the vals themselves, or {'vals': {...}}");
      expect(badRequest(() => bodyParams('5', 'application/json', false))).toBe(
        "The body must be a dict of parameters, e.g. {'args': [...], 'kwargs': {...}}, or XML with the root <args> or <kwargs>",
      );
      expect(thrown(() => bodyParams('{"a": ', 'application/json', true))).toBeInstanceOf(InvalidLiteralError);
      expect(thrown(() => bodyParams('{"a": 1}', 'application/xml', true))).toBeInstanceOf(InvalidXmlError);
      expect(thrown(() => bodyParams(`{"a": "${'x'.repeat(100_000)}"}`, 'application/json', true))).toBeInstanceOf(PayloadTooLargeError);
    });
  });
});
