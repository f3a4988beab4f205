/**
 * Whole-request fuzzing over HTTP against the served API (issue 5, part 2): generated methods,
 * paths, query strings, headers and bodies, authenticated and not. Every answer must have a
 * documented status (200, 201, 400, 401, 403, 404, 405, 409, 412, 413, 414, or a bodiless 304 to
 * a GET with If-None-Match; never a 5xx) and a body that parses as its Content-Type says (JSON,
 * or dicttoxml's root-less XML read with lib/wire/xml-body.ts's strict reader; HTML only for the
 * sign-in pages), errors in the documented
 * shapes, and nothing of the internals (stack frames, file paths, SDK names). Afterwards every
 * demo record is as it was, unless a 200 to a writing request shows that record in its answer.
 *
 * Writes cannot touch the demo data other files rely on: a request that may write (PUT, POST or
 * DELETE on the verb routes, or the methods write, create and unlink by any verb) names only
 * models and ids of records this file created first (tags and partners whose names carry MARKER)
 * or ids that do not exist; its `ids` are never mutated, and the text mutations elsewhere never
 * change a number (applyMutation). Reads go anywhere. The demo records are snapshotted raw from
 * the served table before and compared after; one that changed is put back afterwards (and reported).
 *
 * About half the object requests are well-formed (real fields, values of their type, existing
 * ids), so that writes commit and reads find records; the rest are mutated, noisy or garbage.
 * Answers that serverless-offline's HTTP server gives by itself (emulatorAnswer) are counted apart:
 * the fixed cases at the end name them.
 *
 * HTTP_FUZZ_SEED replays a run, HTTP_FUZZ_REQUESTS sets its length; every request and answer is
 * written to a JSON-lines file in the temporary directory, named in the test's output.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { buildRegistry, type FieldDef, type ModelDef } from '../../lib/models/registry';
import type { PyDict, PyValue } from '../../lib/wire/pyvalue';
import { createDocumentClient } from '../../lib/store/dynamodb/client';
import { shippedModels } from '../../models';
import demoData from '../../scripts/demo-data.json';
import { LOCAL_TABLES } from '../../scripts/local-stack';
import { validDomainArb } from '../fuzz/domain';
import { chooserOf, chooserSpecArb, floatArb, intArb, printLiteral, scalarArb, stringArb, type LiteralStyle } from '../fuzz/pyvalues';
import { printXmlBody } from '../fuzz/xml';
import { apiUrl, demoClient, demoToken, servedItem } from '../helpers/local';

/** A stored item without what keeping its one2many lists moves: version, stamp, and lists left empty. */
function withoutListUpkeep(model: string, item: unknown): unknown {
  if (item === undefined || item === null || typeof item !== 'object') return item;
  const { version: _version, tx: _tx, ...rest } = item as Record<string, unknown>;
  const values = { ...(rest.v as Record<string, unknown>) };
  for (const field of registry.get(model)?.fields ?? [])
    if (field.type === 'one2many' && Array.isArray(values[field.name]) && (values[field.name] as unknown[]).length === 0)
      delete values[field.name];
  return { ...rest, v: values };
}
import { closeConnections, decodeLoosely, emulatorAnswer, parseDictXml, plain, responseProblems, send, type RawRequest, type RawResponse } from '../helpers/served-http';

const REQUESTS = Number(process.env.HTTP_FUZZ_REQUESTS || 1000);
const SEED = Number(process.env.HTTP_FUZZ_SEED || Date.now() % 2 ** 31);
/** serverless-offline answers 50-90 of these requests a second here; more in flight only queues them. */
const CONCURRENCY = 4;
/** In the name of every record this file creates, so that the clean-up finds them all. */
const MARKER = `fz${randomBytes(3).toString('hex')}`;
const OBJECT = '/restapi/1.0/object';
const MAX_QUERY_LENGTH = 10_240;

const registry = buildRegistry(shippedModels);
function modelDef(name: string): ModelDef {
  const def = registry.get(name);
  if (!def) throw new Error(`no model ${name}`);
  return def;
}
const PARTNER = modelDef('res.partner');

/** The demo records (scripts/demo-data.json), by model. */
const DEMO: ReadonlyMap<string, readonly number[]> = new Map(
  Object.entries(demoData.records as Record<string, ReadonlyArray<{ id: number }>>).map(([model, records]) => [model, records.map((record) => record.id)]),
);
const DEMO_KEYS = [...DEMO].flatMap(([model, ids]) => ids.map((id) => ({ model, id })));

/** The models this file writes: its own records of them only. */
const OWN_MODELS = ['res.partner.category', 'res.partner'] as const;
const READ_MODELS = registry.models.map((model) => model.model);
/** Path segments as sent (already percent-encoded where they are). */
const BOGUS_MODELS = [
  'x.nothing', 'res.partner.x', 'RES.PARTNER', 'res_partner', 'res.partner%20', '%20res.partner', 'res..partner', '__proto__', 'constructor', 'toString',
  'hasOwnProperty', '..', '.', 'res.partner%00', '%D0%B8%D1%80.model', 'a'.repeat(300), '%25', '%zz', '*', "res.partner'", 'res.partner;x', 'ir.model.fields.x',
];
/** Ids that no record has (ids are counters from 1). */
const BOGUS_IDS = [99_999, 987_654_321, 2_147_483_647];

const READ_METHODS = ['search', 'search_count', 'search_read', 'read', 'fields_get', 'default_get', 'check_access_rights', 'name_search'];
const WRITE_METHODS = ['write', 'create', 'unlink'];
const BOGUS_METHODS = ['copy', 'onchange', 'read_group', 'export_data', 'name_get', 'Write', 'READ', 'search%20', '__proto__', 'constructor', 'toString', 'valueOf', 'x'];
const VERB_METHODS: Readonly<Record<string, string>> = { GET: 'search_read', POST: 'create', PUT: 'write', DELETE: 'unlink' };
const RECORD_VERB_METHODS: Readonly<Record<string, string>> = { GET: 'read', PUT: 'write', DELETE: 'unlink' };

/**
 * What this run created, by model: `live` records that writes and reads name, `doomed` ones that
 * only unlinks (and (2, id) commands) name, so that deletions do not empty the pools of the writes.
 * Filled before the requests are generated.
 */
const live: Record<string, number[]> = { 'res.partner.category': [], 'res.partner': [] };
const doomed: Record<string, number[]> = { 'res.partner.category': [], 'res.partner': [] };

/**
 * How a request is made. `restricted`: it may write, so every id it names is one of the run's own
 * records or none at all. `clean`: real fields with values of their type, existing ids, no
 * mutations, no noise parameters: what gets past the parsers to the records.
 */
interface Mode {
  readonly restricted: boolean;
  readonly clean: boolean;
}

const nonEmpty = (ids: number[]): number[] => (ids.length > 0 ? ids : BOGUS_IDS);
/** Every record of the model there is (demo and the run's own): what reads and references may name. */
const existingIds = (model: string): number[] => [...(DEMO.get(model) ?? []), ...(live[model] ?? []), ...(doomed[model] ?? [])];
const readIds = (model: string, mode: Mode): number[] => nonEmpty([...existingIds(model), ...(mode.clean ? [] : BOGUS_IDS)]);
/** Ids a write may name: the run's own live records (or none). */
const writableIds = (model: string, mode: Mode): number[] => (mode.restricted ? nonEmpty([...(live[model] ?? []), ...(mode.clean ? [] : BOGUS_IDS)]) : readIds(model, mode));
/** Ids an unlink may name: the run's own doomed records (or none). */
const deletableIds = (model: string, mode: Mode): number[] => (mode.restricted ? nonEmpty([...(doomed[model] ?? []), ...(mode.clean ? [] : BOGUS_IDS)]) : readIds(model, mode));

// ---------------------------------------------------------------------------------------------
// Text: printing values, mutating text without touching digits, encoding

function literalText(value: fc.Arbitrary<PyValue>): fc.Arbitrary<string> {
  return fc
    .tuple(value, fc.constantFrom<LiteralStyle>('python', 'python', 'python', 'json', 'json5'), chooserSpecArb)
    .map(([v, style, spec]) => printLiteral(v, style, chooserOf(spec)));
}

const MUTATION_TOKENS = ['{', '}', '[', ']', '(', ')', "'", '"', ',', ':', ' ', '\\', '<', '>', '&', ';', '=', '%', '#', 'x', 'T', 'N', '-', '.', '\n', '\u0000', 'é', '😀', 'True', 'None', '((', '[[', '</a>', '&amp;'];

interface Mutation {
  readonly op: 'insert' | 'delete' | 'replace' | 'truncate';
  readonly at: number;
  readonly token: string;
}
const mutationArb: fc.Arbitrary<Mutation> = fc.record({ op: fc.constantFrom('insert' as const, 'delete' as const, 'replace' as const, 'truncate' as const), at: fc.nat(), token: fc.constantFrom(...MUTATION_TOKENS) });

/**
 * The characters of numbers in a text: every run of letters, digits, '_' and '.' that starts with a
 * digit, so `28`, `0x1c`, `0b11100`, `2_8` and `1e5` are each one number (a printer may write an
 * id in any of these forms).
 */
function numberMask(text: string): boolean[] {
  const mask: boolean[] = new Array(text.length).fill(false);
  for (const match of text.matchAll(/[0-9][0-9A-Za-z_.]*/g)) mask.fill(true, match.index, match.index + match[0].length);
  return mask;
}

/**
 * One edit that never changes a number written in the text: nothing inside a number is deleted,
 * replaced or inserted into, nothing is removed from between two numbers (no merging), and a cut
 * never splits one. So a mutated request names no record id that the generated one did not.
 */
function applyMutation(text: string, { op, at: rawAt, token }: Mutation): string {
  const inNumber = numberMask(text);
  let at = rawAt % (text.length + 1);
  switch (op) {
    case 'insert':
      return inNumber[at - 1] && inNumber[at] ? text : text.slice(0, at) + token + text.slice(at);
    case 'truncate':
      while (inNumber[at - 1] && inNumber[at]) at++;
      return text.slice(0, at);
    case 'delete':
    case 'replace': {
      if (at >= text.length || inNumber[at] || (inNumber[at - 1] && inNumber[at + 1])) return text;
      return text.slice(0, at) + (op === 'replace' ? token : '') + text.slice(at + 1);
    }
  }
}

function mutated(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: text },
    { weight: 1, arbitrary: fc.tuple(text, fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([t, edits]) => edits.reduce(applyMutation, t)) },
  );
}

/** Lone surrogates cannot be percent-encoded: they become U+FFFD, as a client's encoder would make them. */
const wellFormed = (text: string) => text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** Percent-encodes only what HTTP or the query syntax needs ('%' kept as is when `keepPercent`): `{`, `'`, `,` travel raw, as curl -g sends them. */
function rawEncode(text: string, keepPercent: boolean): string {
  let out = '';
  for (const ch of wellFormed(text)) {
    const code = ch.codePointAt(0) as number;
    if (code <= 0x20 || code >= 0x7f) out += encodeURIComponent(ch);
    else if (ch === '#' || ch === '&' || ch === '=' || (ch === '%' && !keepPercent)) out += `%${code.toString(16).toUpperCase()}`;
    else out += ch;
  }
  return out;
}

const percentEncodeAll = (text: string) => [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

// ---------------------------------------------------------------------------------------------
// Values for fields, vals, domains and the other parameters

const SPECIAL_STRINGS = ['', ' ', "O'Brien", 'say "hi"', 'back\\slash', '<b>bold</b> & co', '\u0000', '\ud800', '😀 emoji', 'line\nbreak', 'Chung Hsiao East Road', '%s %d', '${x}', '{{x}}', 'Ünïcödé', '\u202e', 'a'.repeat(500)];
const textArb: fc.Arbitrary<string> = fc.oneof(stringArb, fc.constantFrom(...SPECIAL_STRINGS), fc.string({ unit: 'grapheme', maxLength: 30 }));

function commandsArb(field: FieldDef, mode: Mode): fc.Arbitrary<PyValue> {
  const relation = field.relation as string;
  const comodel = modelDef(relation);
  // Linking a record to a many2many only checks that it exists; a one2many link is the run's own records only.
  const linkable = field.type === 'many2many' ? readIds(relation, mode) : writableIds(relation, mode);
  const writable = writableIds(relation, mode);
  const charFields = comodel.fields.filter((f) => (f.type === 'char' || f.type === 'text') && !f.magic && !f.required).map((f) => f.name);
  const subVals = fc.tuple(fc.constantFrom(...charFields, comodel.recName), textArb).map(([name, text]): PyValue => new Map([[name, `${MARKER} ${text}`]]));
  const commands: Array<fc.Arbitrary<PyValue>> = [
    fc.string({ maxLength: 8 }).map((text): PyValue => [0, 0, new Map([[comodel.recName, `${MARKER} ${text}`]])]),
    fc.tuple(fc.constantFrom(...writable), subVals).map(([id, vals]): PyValue => [1, id, vals]),
    fc.constantFrom(...deletableIds(relation, mode)).map((id): PyValue => [2, id]),
    fc.constantFrom(...readIds(relation, mode)).map((id): PyValue => [3, id]),
    fc.constantFrom(...linkable).map((id): PyValue => [4, id]),
    fc.constantFrom<PyValue>([5], [5, 0, 0]),
    fc.subarray(linkable, { maxLength: Math.min(4, linkable.length) }).map((ids): PyValue => [6, 0, ids]),
  ];
  if (!mode.clean) commands.push(fc.constantFrom<PyValue>([7, 1], [4], [4, 'x'], [-1, 0], [1, 0], 'x', [6, 0, 'x'], [0, 0, 'x']));
  return fc.oneof(
    { weight: 5, arbitrary: fc.array(fc.oneof(...commands), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.subarray(linkable, { maxLength: Math.min(3, linkable.length) }) },
  );
}

function fieldValueArb(field: FieldDef, mode: Mode): fc.Arbitrary<PyValue> {
  const wrong: fc.Arbitrary<PyValue> = fc.oneof(stringArb, intArb, floatArb, fc.constantFrom<PyValue>(null, true, [], new Map()));
  const { clean } = mode;
  let right: fc.Arbitrary<PyValue>;
  switch (field.type) {
    case 'char':
    case 'text':
    case 'html':
      right = field.required ? textArb.map((text) => `${MARKER} ${text}`) : textArb;
      break;
    case 'integer':
      right = clean ? fc.integer({ min: 0, max: 1000 }) : fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.constantFrom(2_147_483_647, 2_147_483_648, -2_147_483_649), intArb);
      break;
    case 'float':
    case 'monetary':
      right = fc.oneof(floatArb, fc.integer({ min: -100, max: 100 }));
      break;
    case 'boolean':
      right = fc.boolean();
      break;
    case 'selection': {
      const values = (field.selection ?? []).map(([value]) => value);
      right = clean ? fc.constantFrom(...values) : fc.constantFrom(...values, 'nope', '');
      break;
    }
    case 'date':
      right = clean ? fc.constantFrom('2024-02-29', '2017-07-03') : fc.constantFrom('2024-02-29', '2023-02-29', '2024-13-01', '2024-01-01 10:00:00', 'garbage', '');
      break;
    case 'datetime':
      right = clean ? fc.constant('2024-02-29 12:00:00') : fc.constantFrom('2024-02-29 12:00:00', '2024-02-29', '2024-02-29T12:00:00Z', '25:00', '');
      break;
    case 'binary':
      right = clean ? fc.base64String({ maxLength: 60 }) : fc.oneof(fc.base64String({ maxLength: 60 }), stringArb);
      break;
    case 'many2one': {
      // A many2one value is only checked to exist: it may name any record.
      const ids = readIds(field.relation as string, mode);
      right = clean ? fc.constantFrom(...ids) : fc.oneof(fc.constantFrom(...ids), fc.constantFrom<PyValue>(0, -1), fc.constantFrom(...ids).map((id): PyValue => [id, 'x']));
      break;
    }
    case 'one2many':
    case 'many2many':
      right = commandsArb(field, mode);
      break;
  }
  if (clean) return field.required ? right : fc.oneof({ weight: 8, arbitrary: right }, { weight: 1, arbitrary: fc.constant(false) });
  return fc.oneof({ weight: 6, arbitrary: right }, { weight: 1, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: wrong });
}

function valsArb(model: ModelDef, mode: Mode, forCreate: boolean): fc.Arbitrary<PyDict> {
  const fields = model.fields.filter((field) => !field.magic);
  const real = fc.constantFrom(...fields).chain((field) => fieldValueArb(field, mode).map((value) => [field.name, value] as const));
  const entry: fc.Arbitrary<readonly [string, PyValue]> = mode.clean
    ? real
    : fc.oneof(
        { weight: 8, arbitrary: real },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom('id', 'write_date', 'create_uid', 'display_name', '__last_update'), scalarArb) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x_nope', 'nope', '', '__proto__', 'constructor', 'Name', 'name ', 'x_studio'), scalarArb) },
      );
  return fc.tuple(fc.array(entry, { minLength: mode.clean ? 1 : 0, maxLength: mode.clean ? 3 : 4 }), fc.integer({ min: 0, max: 99 }), fc.string({ maxLength: 12 })).map(([entries, roll, name]) => {
    const vals: PyDict = new Map(entries);
    if (forCreate && (mode.clean || roll < 85)) {
      vals.set(model.recName, `${MARKER} ${name}`);
      // The other required fields (res.users' login, res.country.state's code and country): only for creates that should work.
      for (const field of model.fields) if (field.required && !vals.has(field.name) && field.type === 'char') vals.set(field.name, `${MARKER}${name}`);
    }
    return vals;
  });
}

function dottedPaths(model: ModelDef): string[] {
  const paths: string[] = [];
  for (const field of model.fields) {
    if (!field.relation) continue;
    const comodel = registry.get(field.relation);
    if (comodel) paths.push(`${field.name}.${comodel.recName}`, `${field.name}.id`);
  }
  if (model.model === 'res.partner') paths.push('country_id.code', 'state_id.country_id.code', 'parent_id.parent_id.name', 'category_id.parent_id.name');
  return paths;
}

const CLEAN_OPERATORS = ['=', '!=', 'in', 'not in', 'ilike', 'like', '<', '>', '=?'];

function domainArb(model: ModelDef, mode: Mode): fc.Arbitrary<PyValue> {
  const names = model.fields.map((field) => field.name);
  if (mode.clean) {
    const term = fc.constantFrom(...model.fields).chain((field) =>
      fc.tuple(fc.constantFrom(...CLEAN_OPERATORS), field.relation ? fc.constantFrom<PyValue>(...readIds(field.relation, mode), false) : fieldValueArb(field, mode)).map(([op, value]): PyValue => {
        if (op === 'in' || op === 'not in') return [field.name, op, [value]];
        return [field.name, op, value];
      }),
    );
    const arbs: Array<{ weight: number; arbitrary: fc.Arbitrary<PyValue> }> = [
      { weight: 3, arbitrary: fc.array(term, { maxLength: 2 }) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom<PyValue>('|', '&'), term, term).map((items): PyValue => [...items]) },
      { weight: 1, arbitrary: fc.constantFrom<PyValue>([], [['id', '>', 0]], [['active', 'in', [true, false]]].filter(() => names.includes('active'))) },
    ];
    if (model === PARTNER) arbs.push({ weight: 2, arbitrary: validDomainArb });
    return fc.oneof(...arbs);
  }
  const path = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...names) },
    { weight: 2, arbitrary: fc.constantFrom(...dottedPaths(model), 'id') },
    { weight: 1, arbitrary: fc.constantFrom('nope', '', 'name.x', 'id.id', '__proto__', 'x'.repeat(100)) },
  );
  const operator = fc.constantFrom('=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'like', 'ilike', '=like', '=ilike', 'not like', 'not ilike', '=?', 'child_of', 'parent_of', '==', 'LIKE', 'regex', '', ' in');
  const value: fc.Arbitrary<PyValue> = fc.oneof(scalarArb, fc.array(scalarArb, { maxLength: 3 }), fc.constantFrom(...readIds(model.model, mode)), fc.constantFrom<PyValue>('Belgium', 'BE', '%', '_', '', [], [[]]));
  const term = fc.tuple(path, operator, value).map(([p, o, v]): PyValue => [p, o, v]);
  const item: fc.Arbitrary<PyValue> = fc.oneof(
    { weight: 5, arbitrary: term },
    { weight: 2, arbitrary: fc.constantFrom<PyValue>('&', '|', '!') },
    { weight: 1, arbitrary: fc.constantFrom<PyValue>([1, '=', 1], [0, '=', 1], 'x', [], [['name']], null, ['name', '=']) },
  );
  const arbs: Array<{ weight: number; arbitrary: fc.Arbitrary<PyValue> }> = [
    { weight: 6, arbitrary: fc.array(item, { maxLength: 5 }) },
    { weight: 1, arbitrary: fc.oneof(stringArb, intArb, fc.constant<PyValue>(new Map())) },
  ];
  if (model === PARTNER) arbs.push({ weight: 3, arbitrary: validDomainArb });
  return fc.oneof(...arbs);
}

const fieldNameArb = (model: ModelDef, mode: Mode) =>
  mode.clean ? fc.constantFrom(...model.fields.map((field) => field.name)) : fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...model.fields.map((field) => field.name)) }, { weight: 1, arbitrary: fc.constantFrom('nope', '', '__proto__', 'id') });

const PARAM_NAMES = ['ids', 'vals', 'domain', 'fields', 'limit', 'offset', 'order', 'args', 'kwargs', 'context', 'cursor', 'name', 'operator', 'allfields', 'attributes', 'fields_list', 'operation', 'raise_exception'];
const NOISE_NAMES = ['oauth_signature', 'access_token', 'db', 'login', 'password', 'callback', '_', 'a[b]', 'a.b', '%zz', '', 'IDS', 'vals ', 'x'.repeat(40)];

function idsTextArb(pool: number[], mode: Mode): fc.Arbitrary<string> {
  const good = fc.tuple(fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 6 }), fc.constantFrom(',', ', ', ' , ')).map(([ids, sep]) => ids.join(sep));
  if (mode.clean) return good;
  const arbs: Array<{ weight: number; arbitrary: fc.Arbitrary<string> }> = [
    { weight: 6, arbitrary: good },
    // More ids than a write takes (100), all of them missing.
    { weight: 1, arbitrary: fc.integer({ min: 101, max: 130 }).map((n) => Array.from({ length: n }, (_, i) => 900_000 + i).join(',')) },
    // Not ids: every one of these has an element that is not a positive integer, so nothing is looked up.
    { weight: 2, arbitrary: fc.constantFrom('', ' ', ',', 'abc', '-5', '0', '00', '1.5', '0x11', '1e3', '١٧', 'None', '[4]', "'4'", 'x,4', 'x,,5') },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((text) => `x${text}`) },
  ];
  // Reads may ask for more than a read takes (1,000).
  if (!mode.restricted) arbs.push({ weight: 1, arbitrary: fc.constant(Array.from({ length: 1001 }, (_, i) => 900_000 + i).join(',')) });
  return fc.oneof(...arbs);
}

interface Ctx extends Mode {
  /** The model whose fields the values are made for (res.partner's for an unknown model). */
  readonly model: ModelDef;
  /** The method the request calls. */
  readonly op: string | undefined;
}

/** The ids a request for `op` names: unlink the doomed records, writes the live ones, reads anything. */
const idsFor = (ctx: Ctx): number[] => (ctx.op === 'unlink' ? deletableIds(ctx.model.model, ctx) : writableIds(ctx.model.model, ctx));

/** A value for the query parameter `name`; ids in a request that may write are the run's own, and never mutated. */
function paramValueArb(name: string, ctx: Ctx): fc.Arbitrary<string> {
  const { model, op, clean } = ctx;
  const vals = valsArb(model, ctx, op === 'create');
  const maybeMutated = (text: fc.Arbitrary<string>) => (clean ? text : mutated(text));
  switch (name) {
    case 'ids':
      return idsTextArb(idsFor(ctx), ctx);
    case 'vals':
      return maybeMutated(
        fc.oneof(
          { weight: 5, arbitrary: literalText(vals) },
          // curl without -g drops the braces; the service reads such vals as the dict it must be
          { weight: 1, arbitrary: fc.tuple(vals, chooserSpecArb).map(([v, spec]) => printLiteral(v, 'python', chooserOf(spec)).trim().replace(/^\{([\s\S]*)\}$/, '$1')) },
          ...(clean ? [] : [{ weight: 1, arbitrary: literalText(fc.oneof(scalarArb, fc.array(scalarArb, { maxLength: 3 }))) }]),
        ),
      );
    case 'domain':
      return maybeMutated(literalText(domainArb(model, ctx)));
    case 'fields':
    case 'allfields':
    case 'fields_list':
      return clean
        ? literalText(fc.array(fieldNameArb(model, ctx), { minLength: 1, maxLength: 4 }))
        : mutated(fc.oneof(literalText(fc.oneof(fc.array(fieldNameArb(model, ctx), { maxLength: 4 }), fieldNameArb(model, ctx), fc.array(intArb, { maxLength: 2 }))), fc.constantFrom('name', 'name,street', '[name]', '')));
    case 'attributes':
      return literalText(fc.array(fc.constantFrom('type', 'string', 'required', 'selection', 'relation', 'readonly', 'help', ...(clean ? [] : ['nope'])), { maxLength: 4 }));
    case 'limit':
    case 'offset':
      return clean
        ? fc.integer({ min: name === 'limit' ? 1 : 0, max: 20 }).map(String)
        : fc.oneof(fc.constantFrom('5', '0', '1', '-1', '80', '1000', '1001', '1e3', 'None', 'False', 'True', '5.5', 'abc', '99999999999999999999', ''), fc.integer({ min: -10, max: 2000 }).map(String));
    case 'order':
      return clean
        ? fc.constantFrom('name', 'name desc, id', 'id asc', 'id desc', 'id')
        : fc.constantFrom('name', 'name desc, id', 'id asc', 'id desc', 'nope', 'name sideways', 'name desc,', ', ', 'name; drop', 'name desc, id asc, email', 'NAME', 'country_id', 'country_id.name', '', 'id desc nulls last');
    case 'args': {
      const positional: fc.Arbitrary<PyValue> =
        op === 'write' || op === 'create'
          ? fc.array(vals, { minLength: 1, maxLength: clean ? 1 : 2 })
          : fc.oneof(
              fc.tuple(domainArb(model, ctx)).map((t): PyValue => [...t]),
              fc.tuple(domainArb(model, ctx), fc.array(fieldNameArb(model, ctx), { maxLength: 3 })).map((t): PyValue => [...t]),
              ...(clean ? [] : [fc.array(scalarArb, { maxLength: 3 })]),
            );
      return clean ? literalText(positional) : mutated(fc.oneof({ weight: 5, arbitrary: literalText(positional) }, { weight: 1, arbitrary: literalText(scalarArb) }));
    }
    case 'kwargs': {
      const entry: fc.Arbitrary<readonly [string, PyValue]> = fc.oneof(
        vals.map((v) => ['vals', v] as const),
        domainArb(model, ctx).map((d) => ['domain', d] as const),
        fc.array(fieldNameArb(model, ctx), { maxLength: 3 }).map((f) => ['fields', f] as const),
        fc.tuple(fc.constantFrom('limit', 'offset'), fc.integer({ min: -1, max: 1001 })),
        fc.constantFrom(...idsFor(ctx)).map((id): readonly [string, PyValue] => ['ids', [id]]),
        fc.constantFrom<readonly [string, PyValue]>(['context', new Map([['active_test', false]])], ['nope', 1], ['raise_exception', false], ['operation', 'write'], ['name', 'a']),
      );
      const dict = literalText(fc.array(entry, { maxLength: 3 }).map((entries): PyValue => new Map(entries)));
      return clean ? dict : mutated(fc.oneof({ weight: 5, arbitrary: dict }, { weight: 1, arbitrary: literalText(scalarArb) }));
    }
    case 'context':
      return literalText(clean ? fc.constantFrom<PyValue>(new Map([['active_test', false]]), new Map([['lang', 'fr_FR']])) : fc.constantFrom<PyValue>(new Map([['active_test', false]]), new Map([['lang', 'fr_FR']]), new Map([['active_test', 'x']]), [], 'x', null));
    case 'cursor':
      return fc.oneof(fc.base64String({ maxLength: 40 }), fc.constantFrom('garbage', '', 'eyJ9', 'AAAA', '%00'), fc.string({ maxLength: 20 }));
    case 'name':
      return fc.oneof(textArb, fc.constantFrom('Foster', 'bel', ''));
    case 'operator':
      return clean ? fc.constantFrom('ilike', '=', 'like', 'not ilike') : fc.constantFrom('ilike', '=', 'like', 'not ilike', 'in', 'child_of', 'bogus', '');
    case 'operation':
      return literalText(clean ? fc.constantFrom<PyValue>(['read'], ['write'], ['create'], ['unlink']) : fc.constantFrom<PyValue>(['read'], ['write'], ['create'], ['unlink'], ['bogus'], 'read', [], ['read', 'write'], 1));
    case 'raise_exception':
      return clean ? fc.constantFrom('False', 'True') : fc.constantFrom('False', 'True', '0', '1', 'None', 'x');
    default:
      return fc.oneof(textArb, fc.constantFrom('1', 'x', ''));
  }
}

/** The parameters each method reads, with how often a request gives each (percent). */
function paramPlan(op: string | undefined, shape: Shape, clean: boolean): Array<readonly [string, number]> {
  const listShape = shape === 'model' || shape === 'method';
  // In a clean request, args and kwargs would mostly repeat what the named parameters say (a 400).
  const positional = (percent: number): Array<readonly [string, number]> => (clean ? [] : [['args', percent], ['kwargs', percent]]);
  switch (op) {
    case 'write':
      return [['vals', clean ? 100 : 90], ['ids', listShape ? (clean ? 100 : 85) : 10], ...positional(12), ['context', 8]];
    case 'create':
      return [['vals', clean ? 100 : 85], ...positional(10)];
    case 'unlink':
      return [['ids', listShape ? (clean ? 100 : 85) : 10], ...positional(8)];
    case 'search_read':
    case 'read':
    case 'search':
    case 'search_count':
      return [['ids', 30], ['domain', 50], ['fields', 40], ['limit', 15], ['offset', 15], ['order', 15], ['cursor', clean ? 0 : 10], ['context', 15], ...positional(12)];
    case 'fields_get':
      return [['allfields', 50], ['attributes', 50], ...positional(10)];
    case 'default_get':
      return [['fields_list', 60], ...positional(10)];
    case 'check_access_rights':
      return [['operation', 70], ['raise_exception', 40]];
    case 'name_search':
      return [['name', 70], ['args', clean ? 0 : 40], ['operator', 30], ['limit', 20]];
    default:
      return [['ids', 30], ['vals', 30], ['domain', 20], ['fields', 20]];
  }
}

interface Param {
  readonly name: string;
  readonly value: string;
}

function paramsArb(ctx: Ctx, shape: Shape): fc.Arbitrary<Param[]> {
  const planned = paramPlan(ctx.op, shape, ctx.clean).map(([name, percent]) =>
    fc.integer({ min: 0, max: 99 }).chain((roll) => (roll < percent ? paramValueArb(name, ctx).map((value): Param[] => [{ name, value }]) : fc.constant<Param[]>([]))),
  );
  const noise = fc.array(
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PARAM_NAMES) }, { weight: 1, arbitrary: fc.constantFrom(...NOISE_NAMES) }).chain((name) => paramValueArb(name, ctx).map((value): Param => ({ name, value }))),
    { maxLength: 2 },
  );
  return fc.tuple(fc.tuple(...planned), noise, fc.integer({ min: 0, max: 99 })).map(([groups, extra, roll]) => {
    if (ctx.clean) return groups.flat();
    const params = [...groups.flat(), ...(roll < 40 ? extra : [])];
    // The same parameter twice: ambiguous, a 400.
    if (roll < 6 && params.length > 0) params.push(params[0] as Param);
    return params;
  });
}

// ---------------------------------------------------------------------------------------------
// Bodies and headers

type BodyKind = 'none' | 'dict' | 'xml' | 'form' | 'garbage' | 'literal' | 'huge';

interface Body {
  readonly kind: BodyKind;
  readonly text?: string;
  readonly contentType?: string;
}

function bodyArb(ctx: Ctx): fc.Arbitrary<Body> {
  const { model, op } = ctx;
  // A clean request has its parameters in the query; a body would give some of them twice.
  if (ctx.clean) return fc.constant<Body>({ kind: 'none' });
  const vals = valsArb(model, ctx, op === 'create');
  const ids = fc.array(fc.constantFrom(...idsFor(ctx)), { minLength: 1, maxLength: 4 });
  const dictValue: fc.Arbitrary<PyValue> = fc.oneof(
    vals,
    vals.map((v): PyValue => new Map([['vals', v]])),
    fc.tuple(ids, vals).map(([i, v]): PyValue => new Map<string, PyValue>([['ids', i], ['vals', v]])),
    fc.tuple(ids).map(([i]): PyValue => new Map<string, PyValue>([['ids', i]])),
    fc.tuple(vals).map(([v]): PyValue => new Map<string, PyValue>([['args', [v]]])),
    fc.tuple(vals).map(([v]): PyValue => new Map<string, PyValue>([['kwargs', new Map([['vals', v]])]])),
    fc.tuple(domainArb(model, ctx), fc.array(fieldNameArb(model, ctx), { maxLength: 3 })).map(([d, f]): PyValue => new Map<string, PyValue>([['domain', d], ['fields', f]])),
    fc.tuple(domainArb(model, ctx)).map(([d]): PyValue => new Map<string, PyValue>([['args', [d]]])),
  );
  const jsonType = fc.constantFrom<string | undefined>('application/json', undefined, 'text/plain', 'application/json; charset=utf-8');
  const xmlType = fc.constantFrom<string | undefined>('application/xml', 'text/xml', undefined, 'application/xml; charset=utf-8', 'text/plain');
  const xmlText = fc.oneof(
    fc.tuple(vals, chooserSpecArb).map(([v, spec]) => printXmlBody('vals', v, chooserOf(spec))),
    fc.tuple(vals, chooserSpecArb).map(([v, spec]) => printXmlBody('args', [v], chooserOf(spec))),
    fc.tuple(vals, chooserSpecArb).map(([v, spec]) => printXmlBody('kwargs', new Map([['vals', v]]), chooserOf(spec))),
    fc.tuple(domainArb(model, ctx), chooserSpecArb).map(([d, spec]) => printXmlBody('kwargs', new Map([['domain', d]]), chooserOf(spec))),
    fc.constantFrom(
      '<root><a>1</a></root>',
      '<!DOCTYPE vals [<!ENTITY x SYSTEM "file:///etc/passwd">]><vals><ref>&x;</ref></vals>',
      '<vals><name type="str">unterminated',
      '<vals><color type="int">many</color></vals>',
      `<vals>${'<a>'.repeat(40)}${'</a>'.repeat(40)}</vals>`,
      '<?xml version="1.0"?><vals/>',
      '<vals><name>&#0;</name></vals>',
      '<vals><name>&#xD800;</name></vals>',
    ),
  );
  const base: fc.Arbitrary<Body> = fc.oneof(
    { weight: 14, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    { weight: 4, arbitrary: fc.tuple(mutated(literalText(dictValue)), jsonType).map(([text, contentType]): Body => ({ kind: 'dict', text, contentType })) },
    { weight: 3, arbitrary: fc.tuple(mutated(xmlText), xmlType).map(([text, contentType]): Body => ({ kind: 'xml', text, contentType })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(literalText(vals), fc.constantFrom(...idsFor(ctx)))
        .map(([v, id]): Body => ({ kind: 'form', text: `vals=${encodeURIComponent(wellFormed(v))}&ids=${id}`, contentType: 'application/x-www-form-urlencoded' })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })), jsonType)
        .map(([text, contentType]): Body => ({ kind: 'garbage', text: `x${text}`, contentType })),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('[1, 2]', '42', "'x'", 'None', 'True', '[]', '""', '{}'), jsonType).map(([text, contentType]): Body => ({ kind: 'literal', text, contentType })) },
    {
      // Over the 100,000 characters a body may have (413); just under it; and 200 KB of UTF-8 in one
      // field, two of which make a record over DynamoDB's 400 KB (413).
      weight: 1,
      arbitrary: fc.constantFrom(
        (): Body => ({ kind: 'huge', text: 'x'.repeat(100_001), contentType: 'text/plain' }),
        (): Body => ({ kind: 'huge', text: `{'${model.recName}': '${MARKER} ${'x'.repeat(99_900 - 20 - MARKER.length)}'}`, contentType: 'text/plain' }),
        (): Body => ({ kind: 'huge', text: JSON.stringify({ [model === PARTNER ? 'comment' : model.recName]: `${MARKER} ${'😀'.repeat(49_900)}` }), contentType: 'application/json' }),
      ).map((make) => make()),
    },
  );
  // A Content-Type that does not fit the body, some of them not even media types.
  const odd = fc.constantFrom('x', ';;;', 'multipart/form-data', 'multipart/form-data; boundary=zz', 'application/octet-stream', 'text/html', 'application/xml; charset=latin1', '*/*', 'application/json;', 'TEXT/XML', 'application/x-www-form-urlencoded');
  return fc.tuple(base, fc.integer({ min: 0, max: 99 }), odd).map(([body, roll, contentType]) => (roll < 8 ? { ...body, contentType } : body));
}

const printableAscii = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength });

const acceptArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom('application/json', 'application/xml', 'text/xml') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/xml;q=0.5, application/json',
      'text/xml, application/json;q=0.1',
      '*/*',
      'text/html',
      'application/json;q=0, application/xml',
      'application/xml;q=abc',
      'text/*',
      'application/*;q=0.9, application/json;q=0.8',
      ',,,',
      'application/xml; charset=utf-8',
      'TEXT/XML',
      'application/xml;q=1.5, application/json;q=1',
      'text/xml;q=0.6, application/xml;q=0.5',
      'image/png',
    ),
  },
  { weight: 1, arbitrary: printableAscii(40) },
);

type AuthState = 'valid' | 'invalid' | 'unclear';
interface Auth {
  readonly header?: string;
  readonly state: AuthState;
}

function authArb(token: string): fc.Arbitrary<Auth> {
  return fc.oneof(
    { weight: 14, arbitrary: fc.constant<Auth>({ header: `Bearer ${token}`, state: 'valid' }) },
    { weight: 3, arbitrary: fc.constant<Auth>({ state: 'invalid' }) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9]{32}$/).map((t): Auth => ({ header: `Bearer ${t}`, state: 'invalid' })) },
    { weight: 1, arbitrary: fc.constant<Auth>({ header: `Basic ${token}`, state: 'invalid' }) },
    { weight: 1, arbitrary: fc.constantFrom(`bearer ${token}`, `Bearer  ${token}`, `Bearer ${token} `, `Bearer ${token}, Basic x`).map((header): Auth => ({ header, state: 'unclear' })) },
    { weight: 1, arbitrary: fc.constantFrom('OAuth oauth_consumer_key="k", oauth_signature="s"', 'OAuth realm="x"', 'Bearer', 'Basic', '', `Bearer ${'A'.repeat(3000)}`).map((header): Auth => ({ header, state: 'invalid' })) },
    { weight: 1, arbitrary: printableAscii(60).map((header): Auth => ({ header: `x${header}`, state: 'invalid' })) },
  );
}

const extraHeadersArb: fc.Arbitrary<Array<readonly [string, string]>> = fc.subarray(
  [
    ['X-Forwarded-Proto', 'https'],
    ['X-Forwarded-For', '203.0.113.7, 10.0.0.1'],
    ['Cookie', 'session=abc; csrf=x'],
    ['Accept-Language', 'fr-BE,fr;q=0.9'],
    ['X-Requested-With', 'XMLHttpRequest'],
    ['Origin', 'http://evil.example'],
    ['Accept-Encoding', 'gzip, br'],
    ['Content-Encoding', 'gzip'],
    ['X-Amz-Date', 'garbage'],
    ['If-None-Match', '*'],
  ] as const,
  { maxLength: 2 },
);

// ---------------------------------------------------------------------------------------------
// Requests

type Shape = 'model' | 'id' | 'method' | 'idMethod';

interface Spec {
  readonly req: RawRequest;
  readonly kind: 'object' | 'common' | 'random';
  /** The model named in the path (decoded), for object requests. */
  readonly model?: string;
  /** The method called (object requests): the explicit one in the path, or the verb's. */
  readonly op?: string;
  /** Whether it may write: then it names only the run's own records (or none). */
  readonly mutating: boolean;
  /** Made to be well-formed (see Mode). */
  readonly clean?: boolean;
  readonly auth: AuthState;
  /** The query's length as the service counts it, when known exactly. */
  readonly queryLength?: number;
}

function buildQuery(params: readonly Param[], mode: 'encoded' | 'raw', keepPercent: boolean): string {
  return params
    .map(({ name, value }) =>
      mode === 'encoded' ? `${encodeURIComponent(wellFormed(name))}=${encodeURIComponent(wellFormed(value))}` : `${rawEncode(name, keepPercent)}=${rawEncode(value, keepPercent)}`,
    )
    .join('&');
}

const countedLength = (params: readonly Param[]) => params.reduce((sum, { name, value }) => sum + wellFormed(name).length + wellFormed(value).length + 2, 0);

interface QueryChoice {
  readonly mode: 'encoded' | 'raw';
  readonly keepPercent: boolean;
  /** A query string near API Gateway's 10,240 characters: the length to pad it to. */
  readonly padTo?: number;
  readonly junk?: string;
}

const queryChoiceArb: fc.Arbitrary<QueryChoice> = fc.record({
  mode: fc.constantFrom<'encoded' | 'raw'>('encoded', 'encoded', 'encoded', 'raw'),
  keepPercent: fc.boolean(),
  padTo: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: MAX_QUERY_LENGTH - 90, max: MAX_QUERY_LENGTH + 90 }) }),
  junk: fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('&&', '=x', 'a', '&=&', '==', '?') }),
});

function assemble(
  path: string,
  params: Param[],
  choice: QueryChoice,
  method: string,
  auth: Auth,
  accept: string | undefined,
  body: Body,
  extra: ReadonlyArray<readonly [string, string]>,
): { req: RawRequest; queryLength?: number } {
  const all = [...params];
  let exact = choice.mode === 'encoded' && choice.junk === undefined;
  if (choice.padTo !== undefined && exact) {
    const missing = choice.padTo - countedLength(all) - 'pad'.length - 2;
    if (missing > 0) all.push({ name: 'pad', value: 'x'.repeat(missing) });
  }
  // Node's HTTP server refuses request heads over 16 KB (an empty 400) before any code of ours runs, where
  // API Gateway has its own bound, 10,240 characters of query (a 414): drop the longest parameters until it fits.
  while (buildQuery(all, choice.mode, choice.keepPercent).length > 13_500) {
    const longest = all.reduce((a, b) => (buildQuery([b], choice.mode, choice.keepPercent).length > buildQuery([a], choice.mode, choice.keepPercent).length ? b : a));
    all.splice(all.indexOf(longest), 1);
    exact = false;
  }
  let query = buildQuery(all, choice.mode, choice.keepPercent);
  if (choice.junk !== undefined) query = query === '' ? choice.junk : `${query}&${choice.junk}`;
  const headers: Record<string, string> = {};
  if (auth.header !== undefined) headers.Authorization = auth.header;
  if (accept !== undefined) headers.Accept = accept;
  if (body.contentType !== undefined) headers['Content-Type'] = body.contentType;
  for (const [name, value] of extra) headers[name] = value;
  const target = query === '' ? path : `${path}?${query}`;
  return { req: { method, target, headers, ...(body.text === undefined ? {} : { body: body.text }) }, ...(exact ? { queryLength: countedLength(all) } : {}) };
}

const methodArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant('GET') },
  { weight: 4, arbitrary: fc.constant('PUT') },
  { weight: 4, arbitrary: fc.constant('POST') },
  { weight: 2, arbitrary: fc.constant('DELETE') },
  { weight: 1, arbitrary: fc.constantFrom('PATCH', 'OPTIONS', 'HEAD') },
);

/** A model as a path segment: as is, or every byte percent-encoded (the service sees the same name). */
const segment = (name: string) => fc.oneof({ weight: 9, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: fc.constant(percentEncodeAll(name)) });

function idSegmentArb(ids: number[], mode: Mode): fc.Arbitrary<string> {
  const good = fc.constantFrom(...ids).chain((id) => segment(String(id)));
  if (mode.clean) return good;
  return fc.oneof(
    { weight: 8, arbitrary: good },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...ids)).map(([a, b]) => `${a},${b}`) },
    // Never a '/' or '%2F': an encoded slash is a path separator to the router ('17%2Funlink' is an unlink).
    { weight: 2, arbitrary: fc.constantFrom('abc', '0', '-1', '1.5', '%20', '..', '.', '%2e', '', '00', '2147483648', '9'.repeat(30), 'x%00', '%zz', 'null') },
  );
}

/** The methods /object/{model}/{id}/{method} has. */
const RECORD_METHODS = ['read', 'write', 'unlink'];

function objectRequestArb(token: string): fc.Arbitrary<Spec> {
  const shapeArb = fc.constantFrom<Shape>('model', 'model', 'model', 'id', 'id', 'method', 'method', 'idMethod');
  const explicitArb = (clean: boolean, shape: Shape) =>
    clean
      ? fc.constantFrom(...(shape === 'idMethod' ? RECORD_METHODS : [...READ_METHODS, ...WRITE_METHODS]))
      : fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...READ_METHODS) }, { weight: 4, arbitrary: fc.constantFrom(...WRITE_METHODS) }, { weight: 2, arbitrary: fc.constantFrom(...BOGUS_METHODS) });
  const cleanMethodArb = fc.oneof({ weight: 6, arbitrary: fc.constant('GET') }, { weight: 4, arbitrary: fc.constant('PUT') }, { weight: 3, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constant('DELETE') });
  return fc
    .tuple(fc.integer({ min: 0, max: 99 }), shapeArb)
    .chain(([roll, shape]) => {
      const clean = roll < 45;
      return fc.tuple(fc.constant(clean), fc.constant(shape), clean ? cleanMethodArb : methodArb, explicitArb(clean, shape));
    })
    .chain(([clean, shape, method, explicit]) => {
      const named = shape === 'method' || shape === 'idMethod' ? explicit : undefined;
      const op = named ?? (shape === 'model' ? VERB_METHODS[method] : RECORD_VERB_METHODS[method]);
      const mutating = named !== undefined ? WRITE_METHODS.includes(named) : method === 'PUT' || method === 'POST' || method === 'DELETE';
      const models = mutating
        ? clean
          ? fc.constantFrom<string>(...OWN_MODELS)
          : fc.oneof({ weight: 8, arbitrary: fc.constantFrom<string>(...OWN_MODELS) }, { weight: 1, arbitrary: fc.constantFrom(...BOGUS_MODELS) })
        : clean
          ? fc.constantFrom(...READ_MODELS, 'res.partner', 'res.partner', 'res.partner.category', 'res.country')
          : fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...READ_MODELS, 'res.partner', 'res.partner', 'res.country') }, { weight: 1, arbitrary: fc.constantFrom(...BOGUS_MODELS) });
      return models.chain((modelName) => {
        const known = registry.get(modelName);
        const ctx: Ctx = { model: known ?? PARTNER, restricted: mutating, clean, op };
        // An unknown model's ids: those of no model (the path alone decides).
        const idPool = known ? idsFor(ctx) : BOGUS_IDS;
        const methodSegment = named === undefined ? fc.constant('') : named.includes('%') || clean ? fc.constant(named) : segment(named);
        const modelSegment = known ? (clean ? fc.constant(modelName) : segment(modelName)) : fc.constant(modelName);
        return fc
          .record({
            modelSeg: modelSegment,
            idSeg: idSegmentArb(idPool, ctx),
            methodSeg: methodSegment,
            slash: fc.integer({ min: 0, max: 19 }),
            params: paramsArb(ctx, shape),
            choice: clean ? fc.constant<QueryChoice>({ mode: 'encoded', keepPercent: false }) : queryChoiceArb,
            auth: clean ? fc.constant<Auth>({ header: `Bearer ${token}`, state: 'valid' }) : authArb(token),
            accept: acceptArb,
            body: bodyArb(ctx),
            extra: clean ? fc.constant([]) : extraHeadersArb,
          })
          .map(({ modelSeg, idSeg, methodSeg, slash, params, choice, auth, accept, body, extra }): Spec => {
            const parts = [OBJECT, modelSeg];
            if (shape === 'id' || shape === 'idMethod') parts.push(idSeg);
            if (shape === 'method' || shape === 'idMethod') parts.push(methodSeg);
            const path = parts.join('/') + (slash === 0 && !clean ? '/' : '');
            const { req, queryLength } = assemble(path, params, choice, method, auth, accept, body, extra);
            return { req, kind: 'object', clean, model: decodeLoosely(modelSeg), ...(op === undefined ? {} : { op }), mutating, auth: auth.state, ...(queryLength === undefined ? {} : { queryLength }) };
          });
      });
    });
}

const COMMON_PATHS = ['version', 'version/', 'version/x', 'oauth2/access_token', 'oauth2/revoke', 'oauth2/authorize', 'basic/access_token', 'oauth1/request_token', 'oauth1/access_token', 'oauth1/authorize', 'oauth2', 'oauth3/token', '', 'VERSION', 'db/list'];

function commonRequestArb(token: string): fc.Arbitrary<Spec> {
  const clientId = demoClient().clientId;
  const valueFor = (name: string): fc.Arbitrary<string> => {
    switch (name) {
      case 'client_id':
        return fc.oneof(fc.constant(clientId), fc.stringMatching(/^[A-Za-z0-9]{0,40}$/), textArb);
      case 'grant_type':
        return fc.constantFrom('client_credentials', 'authorization_code', 'refresh_token', 'password', 'implicit', '', 'CLIENT_CREDENTIALS');
      case 'redirect_uri':
        return fc.constantFrom('http://localhost:8080/callback', 'http://localhost:8080/callback#x', 'http://evil.example/', 'javascript:alert(1)', '');
      case 'response_type':
        return fc.constantFrom('code', 'token', '', 'code token');
      case 'code_challenge_method':
        return fc.constantFrom('S256', 'plain', 'none', '');
      case 'scope':
        return fc.constantFrom('read', 'write create', 'res.partner:*', '*', 'nope', '');
      default:
        return fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,43}$/), textArb);
    }
  };
  const names = ['client_id', 'client_secret', 'grant_type', 'code', 'redirect_uri', 'code_verifier', 'code_challenge', 'code_challenge_method', 'scope', 'token', 'response_type', 'state', 'oauth_token', 'oauth_verifier', 'oauth_callback', 'refresh_token', 'login', 'password', 'csrf_token', 'decision'];
  const paramArb = fc.constantFrom(...names).chain((name) => valueFor(name).map((value): Param => ({ name, value })));
  const bodyArbCommon: fc.Arbitrary<Body> = fc.oneof(
    { weight: 3, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    { weight: 3, arbitrary: fc.array(paramArb, { maxLength: 5 }).map((ps): Body => ({ kind: 'form', text: buildQuery(ps, 'encoded', false), contentType: 'application/x-www-form-urlencoded' })) },
    { weight: 1, arbitrary: fc.array(paramArb, { maxLength: 4 }).map((ps): Body => ({ kind: 'dict', text: JSON.stringify(Object.fromEntries(ps.map((p) => [p.name, wellFormed(p.value)]))), contentType: 'application/json' })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((text): Body => ({ kind: 'garbage', text, contentType: 'application/x-www-form-urlencoded' })) },
  );
  const authCommon: fc.Arbitrary<Auth> = fc.oneof(
    { weight: 4, arbitrary: fc.constant<Auth>({ state: 'invalid' }) },
    { weight: 1, arbitrary: fc.constant<Auth>({ header: `Basic ${Buffer.from(`${clientId}:wrong`).toString('base64')}`, state: 'invalid' }) },
    { weight: 1, arbitrary: fc.constant<Auth>({ header: `Bearer ${token}`, state: 'valid' }) },
    { weight: 1, arbitrary: fc.constantFrom('OAuth oauth_consumer_key="k", oauth_signature="s"', 'Basic %%%', `x${'y'.repeat(100)}`).map((header): Auth => ({ header, state: 'invalid' })) },
  );
  return fc
    .record({
      method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('GET', 'POST') }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') }),
      path: fc.constantFrom(...COMMON_PATHS),
      params: fc.array(paramArb, { maxLength: 5 }),
      choice: queryChoiceArb,
      auth: authCommon,
      accept: acceptArb,
      body: bodyArbCommon,
      extra: extraHeadersArb,
    })
    .map(({ method, path, params, choice, auth, accept, body, extra }): Spec => {
      const { req } = assemble(`/restapi/1.0/common/${path}`, params, { ...choice, padTo: undefined }, method, auth, accept, body, extra);
      return { req, kind: 'common', mutating: false, auth: auth.state };
    });
}

function randomRequestArb(token: string): fc.Arbitrary<Spec> {
  const prefix = fc.constantFrom('', '/restapi', '/restapi/1.0', '/restapi/1.0/', '/restapi/1.0/common', '/restapi/2.0/object', '/restapi/1.0/objects', '/RESTAPI/1.0/OBJECT', '/restapi/1.0/object', '/static', '/web', '/xmlrpc/2/object', '/.env', '/api');
  const seg = fc.oneof(
    { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/) },
    { weight: 1, arbitrary: fc.constantFrom('%2e%2e', '..', '%00', '%zz', '%E2%82%AC', 'x'.repeat(200), 'index.html', '%2F') },
  );
  return fc
    .record({
      method: methodArb,
      prefix,
      segs: fc.array(seg, { maxLength: 4 }),
      params: fc.array(fc.constantFrom(...PARAM_NAMES, ...NOISE_NAMES).chain((name) => textArb.map((value): Param => ({ name, value }))), { maxLength: 3 }),
      choice: queryChoiceArb,
      auth: authArb(token),
      accept: acceptArb,
      extra: extraHeadersArb,
    })
    .map(({ method, prefix: p, segs, params, choice, auth, accept, extra }): Spec => {
      const path = [p, ...segs].join('/') || '/';
      const { req } = assemble(path.startsWith('/') ? path : `/${path}`, params, { ...choice, padTo: undefined }, method, auth, accept, { kind: 'none' }, extra);
      return { req, kind: 'random', mutating: false, auth: auth.state };
    });
}

function requestArb(token: string): fc.Arbitrary<Spec> {
  return fc.oneof({ weight: 15, arbitrary: objectRequestArb(token) }, { weight: 2, arbitrary: commonRequestArb(token) }, { weight: 2, arbitrary: randomRequestArb(token) });
}

// ---------------------------------------------------------------------------------------------
// Running and judging

interface Entry {
  readonly i: number;
  readonly spec: Spec;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly ms: number;
  readonly problems: string[];
  /** An answer of the local HTTP server itself (see emulatorAnswer), kept apart from the service's. */
  readonly emulator?: string;
}

/** Everything the request said, decoded: a leak pattern found only here is an echo, not a leak. */
function requestText(req: RawRequest): string {
  return [decodeLoosely(req.target), req.target, ...Object.values(req.headers ?? {}), req.body ?? ''].join('\n');
}

const isObjectRoute = (target: string) => /^\/restapi\/1\.0\/object\/[^/?]+/.test(target);

/** Expectations that follow from the request itself, beyond the checks every answer gets. */
function oracleProblems(spec: Spec, res: RawResponse): string[] {
  const problems: string[] = [];
  const ok = res.status === 200 || res.status === 201;
  if (spec.kind === 'object' && spec.auth === 'invalid' && spec.req.method !== 'OPTIONS' && res.status !== 401 && res.status !== 404) {
    problems.push(`an object request without valid credentials answered ${res.status}, not 401`);
  }
  if (spec.kind === 'object' && spec.auth === 'invalid' && ok) problems.push('an object request without valid credentials was served');
  if (spec.queryLength !== undefined && spec.queryLength > MAX_QUERY_LENGTH && ok) problems.push(`a query of ${spec.queryLength} characters (over ${MAX_QUERY_LENGTH}) was served`);
  if (spec.queryLength !== undefined && spec.queryLength <= MAX_QUERY_LENGTH && res.status === 414) problems.push(`414 for a query of ${spec.queryLength} characters`);
  if (
    spec.kind === 'object' &&
    spec.auth === 'valid' &&
    res.status === 401 &&
    !/oauth_/i.test(decodeLoosely(spec.req.target)) &&
    isObjectRoute(spec.req.target)
  ) {
    problems.push('401 for a request with a valid token');
  }
  return problems;
}

/** The JSON-lines log file of the run: every request (the token redacted) and its answer. */
function logLine(entry: Entry, token: string): string {
  const redact = (text: string) => text.split(token).join('<TOKEN>');
  const { req } = entry.spec;
  return JSON.stringify({
    i: entry.i,
    method: req.method,
    target: redact(req.target),
    headers: JSON.parse(redact(JSON.stringify(req.headers ?? {}))),
    body: req.body === undefined ? undefined : req.body.length > 2000 ? `${req.body.slice(0, 2000)}... (${req.body.length} characters)` : req.body,
    kind: entry.spec.kind,
    model: entry.spec.model,
    op: entry.spec.op,
    mutating: entry.spec.mutating,
    auth: entry.spec.auth,
    status: entry.status,
    contentType: entry.contentType,
    answer: entry.body.length > 2000 ? `${entry.body.slice(0, 2000)}... (${entry.body.length} characters)` : entry.body,
    ms: Math.round(entry.ms),
    problems: entry.problems,
    emulator: entry.emulator,
  });
}

function describeEntry(entry: Entry, token: string): string {
  const { req } = entry.spec;
  const redact = (text: string) => text.split(token).join('<TOKEN>');
  const headers = Object.entries(req.headers ?? {}).map(([name, value]) => `${name}: ${redact(value).slice(0, 120)}`).join(' | ');
  const body = req.body === undefined ? '' : ` body ${JSON.stringify(req.body.slice(0, 300))}${req.body.length > 300 ? `... (${req.body.length})` : ''}`;
  return `#${entry.i} ${req.method} ${redact(req.target).slice(0, 400)} [${headers}]${body} -> ${entry.status} ${entry.contentType} ${JSON.stringify(entry.body.slice(0, 300))}: ${entry.problems.join('; ')}`;
}

/**
 * The records of its own model that a 200 (or 201) to a writing request says it changed: those its
 * answer shows (write, create: the record or the list of records) or names as deleted
 * (`{"id": 20}`, `{"ids": "17,20"}`), from the JSON or the XML.
 */
function answeredIds(entry: Entry): Set<number> {
  const ids = new Set<number>();
  let parsed: unknown;
  try {
    parsed = /xml/.test(entry.contentType) ? plain(parseDictXml(entry.body)) : JSON.parse(entry.body);
  } catch {
    return ids;
  }
  if (parsed === null || typeof parsed !== 'object') return ids;
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key === 'id' && typeof value === 'number') ids.add(value);
    else if (key === 'ids' && typeof value === 'string') for (const id of value.split(',')) ids.add(Number(id));
    else for (const record of Array.isArray(value) ? value : [value]) if (record && typeof record === 'object' && typeof (record as { id?: unknown }).id === 'number') ids.add((record as { id: number }).id);
  }
  return ids;
}

/** The id of the record a create answered with (JSON envelope or XML). */
function createdId(entry: Entry): number | undefined {
  const match = /"id":(\d+)|<id type="int">(\d+)<\/id>/.exec(entry.body);
  return match ? Number(match[1] ?? match[2]) : undefined;
}

describe('whole-request fuzzing over HTTP against the served API (issue 5, part 2)', () => {
  let token = '';
  const snapshot = new Map<string, Record<string, unknown> | undefined>();
  const changedDemo = new Set<string>();
  const keyOf = (model: string, id: number) => `${model}#${id}`;
  let cleanedUp = false;
  /** The records of the models this file writes before it started, to tell what it left behind. */
  const idsBefore = new Map<string, Set<number>>();

  async function api(method: string, target: string, body?: string): Promise<RawResponse> {
    return send(apiUrl(), { method, target, headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, ...(body === undefined ? {} : { body }) });
  }

  async function create(model: string, vals: Record<string, unknown>): Promise<number> {
    const res = await api('POST', `${OBJECT}/${model}`, JSON.stringify(vals));
    if (res.status !== 201) throw new Error(`creating ${model} answered ${res.status}: ${res.body}`);
    return (Object.values(JSON.parse(res.body) as Record<string, { id: number }>)[0] as { id: number }).id;
  }

  async function allIds(model: string): Promise<Set<number>> {
    const res = await api('GET', `${OBJECT}/${model}/search?context=${encodeURIComponent("{'active_test': False}")}&limit=1000`);
    return new Set(res.status === 200 ? (Object.values(JSON.parse(res.body) as Record<string, number[]>)[0] ?? []) : []);
  }

  beforeAll(async () => {
    token = await demoToken();
    for (const { model, id } of DEMO_KEYS) snapshot.set(keyOf(model, id), await servedItem(model, id));
    for (const model of OWN_MODELS) idsBefore.set(model, await allIds(model));
    const tags = live['res.partner.category'] as number[];
    for (let i = 0; i < 6; i++) tags.push(await create('res.partner.category', { name: `${MARKER} tag ${i}`, ...(i > 2 ? { parent_id: tags[0] } : {}) }));
    const partners = live['res.partner'] as number[];
    for (let i = 0; i < 4; i++) partners.push(await create('res.partner', { name: `${MARKER} partner ${i}`, ref: MARKER, category_id: [[6, 0, [tags[i]]]], ...(i > 0 ? { parent_id: partners[0] } : {}) }));
    for (let i = 0; i < 25; i++) (doomed['res.partner.category'] as number[]).push(await create('res.partner.category', { name: `${MARKER} doomed tag ${i}` }));
    for (let i = 0; i < 12; i++) (doomed['res.partner'] as number[]).push(await create('res.partner', { name: `${MARKER} doomed partner ${i}`, category_id: [[4, tags[0]]] }));
  }, 120_000);

  afterAll(async () => {
    // When the run stopped before its own clean-up.
    if (!cleanedUp) await cleanUp([]).catch(() => undefined);
    // A demo record that changed is put back as it was, so the other files find the demo data intact.
    if (changedDemo.size > 0) {
      const client = createDocumentClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT as string, region: 'eu-west-1' });
      try {
        for (const key of changedDemo) {
          const item = snapshot.get(key);
          if (item) await client.send(new PutCommand({ TableName: LOCAL_TABLES.records, Item: item }));
        }
      } finally {
        client.destroy();
      }
    }
    closeConnections();
  }, 120_000);

  /** Deletes every record the run created (its pools, what creates answered, whatever carries MARKER). */
  async function cleanUp(entries: readonly Entry[]): Promise<string[]> {
    cleanedUp = true;
    const leftovers: string[] = [];
    for (const model of OWN_MODELS) {
      const ids = new Set([...(live[model] ?? []), ...(doomed[model] ?? [])]);
      for (const entry of entries) {
        if (entry.spec.model === model && entry.spec.op === 'create' && (entry.status === 200 || entry.status === 201)) {
          const id = createdId(entry);
          if (id !== undefined) ids.add(id);
        }
      }
      const found = await api('GET', `${OBJECT}/${model}/search?domain=${encodeURIComponent(`[('name','ilike','${MARKER}')]`)}&context=${encodeURIComponent("{'active_test': False}")}&limit=1000`);
      if (found.status === 200) for (const id of Object.values(JSON.parse(found.body) as Record<string, number[]>)[0] ?? []) ids.add(id);
      for (const id of [...ids].sort((a, b) => b - a)) {
        if (DEMO.get(model)?.includes(id)) continue;
        const res = await api('DELETE', `${OBJECT}/${model}/${id}`);
        if (res.status !== 200 && res.status !== 404) leftovers.push(`${model}(${id}): DELETE answered ${res.status} ${res.body.slice(0, 200)}`);
      }
    }
    return leftovers;
  }

  it(`answers ${REQUESTS} generated requests with documented statuses and well-formed bodies that show no internals; demo records change only when a 200 says so`, async () => {
    const specs = fc.sample(requestArb(token), { numRuns: REQUESTS, seed: SEED });
    const entries: Entry[] = [];
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < specs.length) {
          const i = next++;
          const spec = specs[i] as Spec;
          let entry: Entry;
          try {
            const res = await send(apiUrl(), spec.req);
            const emulator = emulatorAnswer(spec.req, res);
            const problems = emulator ? [] : [...responseProblems(spec.req, res, requestText(spec.req)), ...oracleProblems(spec, res)];
            entry = { i, spec, status: res.status, contentType: String(res.headers['content-type'] ?? ''), body: res.body, ms: res.ms, problems, ...(emulator ? { emulator } : {}) };
          } catch (error) {
            entry = { i, spec, status: 0, contentType: '', body: '', ms: 0, problems: [`no answer: ${(error as Error).message}`] };
          }
          entries[i] = entry;
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;

    const leftovers = await cleanUp(entries);
    // New records still there: other files' when they run alongside (jest's workers), else this run's.
    const leftBehind: string[] = [];
    for (const model of OWN_MODELS) {
      const before = idsBefore.get(model) ?? new Set<number>();
      const extra = [...(await allIds(model))].filter((id) => !before.has(id));
      if (extra.length > 0) leftBehind.push(`${model}(${extra.join(', ')})`);
    }

    // Every demo record as it was, unless a 200 to a writing request shows it in its answer (the written or deleted records).
    const demoProblems: string[] = [];
    let explained = 0;
    for (const { model, id } of DEMO_KEYS) {
      const key = keyOf(model, id);
      const after = await servedItem(model, id);
      if (isDeepStrictEqual(after, snapshot.get(key))) continue;
      // A generated record that named a demo record as its parent, then was cleaned up, went through
      // the demo record's one2many list (lib/records/inverses.ts): its version and stamp moved on,
      // its list is back as it was.
      if (isDeepStrictEqual(withoutListUpkeep(model, after), withoutListUpkeep(model, snapshot.get(key)))) continue;
      changedDemo.add(key);
      const because = entries.filter((e) => (e.status === 200 || e.status === 201) && e.spec.mutating && e.spec.model === model && answeredIds(e).has(id));
      if (because.length > 0) explained++;
      else demoProblems.push(`demo record ${model}(${id}) changed with no 200 showing it: ${JSON.stringify(snapshot.get(key)).slice(0, 300)} -> ${JSON.stringify(after).slice(0, 300)}`);
    }

    const failures = entries.filter((entry) => entry.problems.length > 0);
    // Every request of the run, kept for whoever investigates a failure; a clean run leaves nothing behind.
    const logFile = failures.length > 0 || demoProblems.length > 0 ? join(tmpdir(), `http-fuzz-${SEED}.jsonl`) : undefined;
    if (logFile) writeFileSync(logFile, `${entries.map((entry) => logLine(entry, token)).join('\n')}\n`);
    const byStatus = new Map<number, number>();
    for (const entry of entries) byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1);
    const count = (predicate: (entry: Entry) => boolean) => entries.filter(predicate).length;
    process.stdout.write(
      `http-fuzz seed ${SEED}: ${entries.length} requests in ${seconds.toFixed(1)} s (${(entries.length / seconds).toFixed(1)}/s); ` +
        `object ${count((e) => e.spec.kind === 'object')} (well-formed ${count((e) => e.spec.clean === true)}, writing ${count((e) => e.spec.mutating)}, ` +
        `writes answered 200/201 ${count((e) => e.spec.mutating && (e.status === 200 || e.status === 201))}, without valid credentials ${count((e) => e.spec.kind === 'object' && e.spec.auth === 'invalid')}), ` +
        `common ${count((e) => e.spec.kind === 'common')}, other ${count((e) => e.spec.kind === 'random')}; ` +
        `statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort(([a], [b]) => a - b)))}; XML answers ${count((e) => /xml/.test(e.contentType))}; ` +
        `answers of the local HTTP server itself ${count((e) => e.emulator !== undefined)}; ` +
        `demo records changed ${changedDemo.size} (explained ${explained}); new records left ${leftBehind.join(' ') || 'none'}; failures ${failures.length}${logFile ? `; log ${logFile}` : ''}\n`,
    );

    expect({ failures: failures.slice(0, 30).map((entry) => describeEntry(entry, token)), total: failures.length, demoProblems, leftovers }).toStrictEqual({
      failures: [],
      total: 0,
      demoProblems: [],
      leftovers: [],
    });
  }, 900_000);
});

/**
 * Failures the fuzzing found, each as its smallest request. They stay here, failing, until the
 * code is fixed (the fuzzing run above reports them among many others; these name them).
 */
describe('fixed cases found by the whole-request fuzzing', () => {
  let token = '';
  beforeAll(async () => {
    token = await demoToken();
  });
  afterAll(() => closeConnections());

  const call = (method: string, target: string, headers: Record<string, string> = {}, body?: string) =>
    send(apiUrl(), { method, target, headers: { Authorization: `Bearer ${token}`, ...headers }, ...(body === undefined ? {} : { body }) });

  /** A partner of this test's own for the duration of `run`. */
  async function withPartner(run: (id: number) => Promise<void>): Promise<void> {
    const created = await call('POST', `${OBJECT}/res.partner?vals=${encodeURIComponent(`{'name': '${MARKER} fixed case'}`)}`);
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.body}`);
    const id = (JSON.parse(created.body) as { Partner: { id: number } }).Partner.id;
    try {
      await run(id);
    } finally {
      await call('DELETE', `${OBJECT}/res.partner/${id}`);
    }
  }

  const documented = (res: RawResponse, statuses: readonly number[]) => (statuses.includes(res.status) ? 'documented' : `${res.status} ${res.body}`);

  // lib/records/values.ts (parseFieldValue, float/monetary) accepts any finite float, and an int beyond 2**53
  // as Number(value); lib/store/dynamodb/client.ts's DocumentClient then refuses to marshal a number beyond
  // Number.MAX_SAFE_INTEGER, and DynamoDB refuses magnitudes under 1e-130 (ValidationException):
  // errors lib/http/respond.ts does not know, hence a 500. Odoo stores any double; here 1e16 is lost.
  it.each([
    ['a float of 1e16 (beyond 2**53)', "{'partner_longitude': 1e16}"],
    ['an int beyond 2**53 for a float field', "{'credit_limit': 9007199254740993}"],
    ['a float of 1e-200 (under DynamoDB’s 1e-130)', "{'partner_latitude': 1e-200}"],
  ])('PUT /object/res.partner/{id} with %s answers 200 (or a 403), not a 500', async (_case, vals) => {
    await withPartner(async (id) => {
      const res = await call('PUT', `${OBJECT}/res.partner/${id}?vals=${encodeURIComponent(vals)}`);
      expect(documented(res, [200, 403])).toBe('documented');
    });
  });

  it('POST /object/res.partner with a float of 1e300 answers 201 (or a 403), not a 500', async () => {
    const res = await call('POST', `${OBJECT}/res.partner?vals=${encodeURIComponent(`{'name': '${MARKER} big credit', 'credit_limit': 1e300}`)}`);
    if (res.status === 201) await call('DELETE', `${OBJECT}/res.partner/${(JSON.parse(res.body) as { Partner: { id: number } }).Partner.id}`);
    expect(documented(res, [201, 403])).toBe('documented');
  });

  // The local stack only: hapi refuses a Content-Type it cannot parse on a request with a body and
  // answers with its own Boom body, which scripts/offline-gateway-responses.cjs passes through (it
  // maps hapi's 401, 403, 404 and 5xx only). API Gateway hands the request to the function, whose
  // answer to the body 'x' is the documented 400.
  it.each([
    ['POST', 'multipart/form-data'],
    ['PUT', 'x'],
    ['DELETE', ';;;'],
  ])('%s with Content-Type %j answers a 400 of the documented shape', async (method, contentType) => {
    const req: RawRequest = { method, target: `${OBJECT}/res.partner.category`, headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body: 'x' };
    const res = await send(apiUrl(), req);
    expect({ status: res.status, problems: responseProblems(req, res, requestText(req)) }).toStrictEqual({ status: 400, problems: [] });
  });
});
