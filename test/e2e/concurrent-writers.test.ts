/**
 * Concurrent writers through the served API (issue 5, part 5): N writers on overlapping id sets,
 * concurrent creates, and many clients writing one record. Every request writes a token of its
 * own; afterwards every record must show a whole write of one request (atomic, isolated), the
 * last one committed, with no write that answered 200 lost and nothing of a 409 kept.
 *
 * How "last committed" and "lost" are made observable: besides the token (in street2 and ref),
 * each request links a tag of its own, its witness, with `(4, witness)` on category_id. A link is
 * appended to the record's current list inside the same version-conditioned transaction as the
 * token, so each record's final category_id is the sequence of the writes committed on it, in
 * commit order. Then, for every record:
 *   - its witnesses are exactly those of the 200 requests that named it (a 200 whose write was lost,
 *     or a 409 that wrote anything, would show), each once;
 *   - street2 and ref hold the same token, that of the request whose witness is last (atomicity,
 *     and the last committer's values win);
 *   - the stored version moved on by exactly that many writes (none applied twice, none skipped);
 *   - every 200 response shows the record exactly as its commit left it: its own token, and the
 *     witness list up to and including its own witness (it was computed from the state its
 *     predecessor committed, nothing in between);
 *   - write_date never goes backwards along that order.
 * And across records: the commit orders of all records together have no cycle (one request before
 * another on one record, after it on another, would mean they were not isolated).
 *
 * Records are the file's own (partners and tags named with RUN), deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { apiUrl, demoToken, servedItem } from '../helpers/local';
import { closeConnections, responseProblems, send, type RawRequest, type RawResponse } from '../helpers/served-http';

const RUN = `cw${randomBytes(3).toString('hex')}`;
const SEED = Number(process.env.CONCURRENT_WRITERS_SEED || Date.now() % 2 ** 31);
const OBJECT = '/restapi/1.0/object';
const PARTNERS = 12;
const WRITERS = 8;
const REQUESTS_PER_WRITER = 10;
const CREATES = 20;
const SAME_RECORD_CLIENTS = 10;

interface PartnerView {
  readonly id: number;
  readonly name: string;
  readonly street2: string | false;
  readonly ref: string | false;
  readonly category_id: number[];
  readonly write_date: string;
}

interface Outcome {
  readonly label: string;
  /** street2 and ref of every record it names. */
  readonly token: string;
  /** The tag its (4, witness) links; undefined for the writes without one. */
  readonly witness?: number;
  readonly ids: readonly number[];
  readonly status: number;
  readonly body: string;
  readonly problems: readonly string[];
  /** The records a 200 answered, by id. */
  readonly records: ReadonlyMap<number, PartnerView>;
}

let token = '';

function request(method: string, target: string): RawRequest {
  return { method, target, headers: { Authorization: `Bearer ${token}` } };
}

async function call(method: string, target: string): Promise<RawResponse & { problems: string[] }> {
  const req = request(method, target);
  const res = await send(apiUrl(), req);
  return { ...res, problems: responseProblems(req, res, decodeURIComponent(target)) };
}

const q = encodeURIComponent;

/** Runs `tasks` with at most `limit` at a time; the results in order. */
async function pooled<T>(limit: number, tasks: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

const created = { partners: [] as number[], tags: [] as number[] };

async function create(model: 'res.partner' | 'res.partner.category', name: string): Promise<number> {
  const res = await call('POST', `${OBJECT}/${model}?vals=${q(`{'name': '${name}'}`)}`);
  if (res.status !== 201) throw new Error(`creating ${model} answered ${res.status}: ${res.body}`);
  const id = (Object.values(JSON.parse(res.body) as Record<string, { id: number }>)[0] as { id: number }).id;
  (model === 'res.partner' ? created.partners : created.tags).push(id);
  return id;
}

const version = async (id: number): Promise<number> => Number((await servedItem('res.partner', id))?.version);

async function readPartners(ids: readonly number[]): Promise<Map<number, PartnerView>> {
  const res = await call('GET', `${OBJECT}/res.partner?ids=${ids.join(',')}&fields=${q("['name','street2','ref','category_id','write_date']")}&context=${q("{'active_test': False}")}`);
  if (res.status !== 200) throw new Error(`reading the partners answered ${res.status}: ${res.body}`);
  return new Map((JSON.parse(res.body) as { Partner: PartnerView[] }).Partner.map((record) => [record.id, record]));
}

/** One PUT list: the token in street2 and ref and, with a witness, (4, witness) on category_id. */
async function write(label: string, ids: readonly number[], tokenValue: string, witness?: number): Promise<Outcome> {
  const vals = `{'street2': '${tokenValue}', 'ref': '${tokenValue}'${witness === undefined ? '' : `, 'category_id': [(4, ${witness})]`}}`;
  const target = ids.length === 1 && witness === undefined ? `${OBJECT}/res.partner/${ids[0]}?vals=${q(vals)}` : `${OBJECT}/res.partner?ids=${ids.join(',')}&vals=${q(vals)}`;
  const res = await call('PUT', target);
  const records = new Map<number, PartnerView>();
  if (res.status === 200) {
    const data = (JSON.parse(res.body) as { Partner: PartnerView | PartnerView[] }).Partner;
    for (const record of Array.isArray(data) ? data : [data]) records.set(record.id, record);
  }
  return { label, token: tokenValue, ...(witness === undefined ? {} : { witness }), ids, status: res.status, body: res.body, problems: res.problems, records };
}

/** What is wrong with the answers themselves: statuses, bodies, and each 200's own records. */
function answerProblems(outcomes: readonly Outcome[]): string[] {
  const problems: string[] = [];
  for (const o of outcomes) {
    if (o.status !== 200 && o.status !== 409) problems.push(`${o.label}: status ${o.status} ${o.body.slice(0, 200)}`);
    for (const problem of o.problems) problems.push(`${o.label}: ${problem}`);
    if (o.status !== 200) continue;
    if (JSON.stringify([...o.records.keys()]) !== JSON.stringify(o.ids)) problems.push(`${o.label}: answered records ${[...o.records.keys()]} for ids ${o.ids}`);
    for (const [id, record] of o.records) {
      if (record.street2 !== o.token || record.ref !== o.token) problems.push(`${o.label}: its answer shows ${id} with street2 ${record.street2} and ref ${record.ref}, not its own token`);
      if (o.witness !== undefined && record.category_id[record.category_id.length - 1] !== o.witness) problems.push(`${o.label}: its answer's ${id}.category_id ${record.category_id} does not end with its witness ${o.witness}`);
    }
  }
  return problems;
}

/**
 * The checks of the module comment on the final state. `before`: each record's stored version
 * before the writes; `after`: the records read afterwards and their stored versions.
 */
function finalStateProblems(outcomes: readonly Outcome[], ids: readonly number[], before: ReadonlyMap<number, number>, after: ReadonlyMap<number, PartnerView>, versions: ReadonlyMap<number, number>): string[] {
  const problems: string[] = [];
  const byWitness = new Map(outcomes.filter((o) => o.witness !== undefined).map((o) => [o.witness as number, o]));
  const edges = new Map<string, Set<string>>();
  for (const id of ids) {
    const record = after.get(id);
    if (!record) {
      problems.push(`record ${id} is gone`);
      continue;
    }
    const committed = outcomes.filter((o) => o.status === 200 && o.ids.includes(id));
    const order = record.category_id;
    if (new Set(order).size !== order.length) problems.push(`${id}: a witness twice in ${order}`);
    const expected = new Set(committed.map((o) => o.witness));
    const missing = committed.filter((o) => !order.includes(o.witness as number)).map((o) => o.label);
    if (missing.length > 0) problems.push(`${id}: lost the writes of ${missing.join(', ')} (answered 200, witness absent)`);
    const foreign = order.filter((w) => !expected.has(w)).map((w) => byWitness.get(w)?.label ?? `tag ${w}`);
    if (foreign.length > 0) problems.push(`${id}: kept writes of ${foreign.join(', ')}, which did not answer 200 for it`);
    // Atomic: both fields from one request, the last committed one.
    const last = byWitness.get(order[order.length - 1] as number);
    if (record.street2 !== record.ref) problems.push(`${id}: street2 ${record.street2} and ref ${record.ref} come from different requests`);
    if (last === undefined) {
      if (record.street2 !== false) problems.push(`${id}: no committed write, yet street2 is ${record.street2}`);
    } else if (record.street2 !== last.token) {
      problems.push(`${id}: the last committed write is ${last.label} (its witness is last) but street2 is ${record.street2}`);
    }
    const moved = (versions.get(id) as number) - (before.get(id) as number);
    if (moved !== committed.length) problems.push(`${id}: version moved by ${moved} for ${committed.length} writes answered 200`);
    // Each 200 saw exactly what its predecessor committed.
    let previousDate = '';
    order.forEach((witness, position) => {
      const o = byWitness.get(witness);
      const seen = o?.records.get(id);
      if (!o || !seen) return;
      if (JSON.stringify(seen.category_id) !== JSON.stringify(order.slice(0, position + 1))) {
        problems.push(`${id}: ${o.label} answered category_id ${seen.category_id}, but it committed at position ${position} of ${order}`);
      }
      if (seen.write_date < previousDate) problems.push(`${id}: write_date goes back from ${previousDate} to ${seen.write_date} at ${o.label}`);
      previousDate = seen.write_date;
      if (position > 0) {
        const from = byWitness.get(order[position - 1] as number)?.label as string;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)?.add(o.label);
      }
    });
  }
  const cycle = findCycle(edges);
  if (cycle) problems.push(`the commit orders of the records contradict each other: ${cycle.join(' -> ')}`);
  return problems;
}

/** A cycle in a directed graph, as the list of its nodes, or undefined. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const statusCounts = (outcomes: readonly Outcome[]) => {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  return counts;
};

describe('concurrent writers through the served API (issue 5, part 5)', () => {
  let partners: number[] = [];

  beforeAll(async () => {
    token = await demoToken();
    partners = await pooled(
      4,
      Array.from({ length: PARTNERS }, (_, i) => () => create('res.partner', `${RUN} partner ${i}`)),
    );
  }, 120_000);

  afterAll(async () => {
    // Partners first (they link the tags), a few at a time (one unlink is one transaction).
    for (const [model, ids] of [['res.partner', created.partners], ['res.partner.category', created.tags]] as const) {
      for (let i = 0; i < ids.length; i += 10) await call('DELETE', `${OBJECT}/${model}?ids=${ids.slice(i, i + 10).join(',')}`);
    }
    closeConnections();
  }, 120_000);

  it(`${WRITERS} writers × ${REQUESTS_PER_WRITER} PUT-list requests on overlapping ids: every record shows one whole write, the last committed; no 200 lost, no 409 kept`, async () => {
    const total = WRITERS * REQUESTS_PER_WRITER;
    const witnesses = await pooled(
      4,
      Array.from({ length: total }, (_, k) => () => create('res.partner.category', `${RUN} witness ${k}`)),
    );
    // Each request: 3 to 6 distinct partners out of the 12, so every pair of writers overlaps somewhere.
    const [plan] = fc.sample(fc.array(fc.uniqueArray(fc.integer({ min: 0, max: PARTNERS - 1 }), { minLength: 3, maxLength: 6 }), { minLength: total, maxLength: total }), { numRuns: 1, seed: SEED });
    const before = new Map(await Promise.all(partners.map(async (id) => [id, await version(id)] as const)));

    const outcomes: Outcome[] = [];
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let r = 0; r < REQUESTS_PER_WRITER; r++) {
          const k = w * REQUESTS_PER_WRITER + r;
          const ids = (plan?.[k] ?? []).map((i) => partners[i] as number);
          outcomes.push(await write(`w${w}r${r}`, ids, `${RUN}-w${w}-r${r}`, witnesses[k]));
        }
      }),
    );

    const after = await readPartners(partners);
    const versions = new Map(await Promise.all(partners.map(async (id) => [id, await version(id)] as const)));
    const problems = [...answerProblems(outcomes), ...finalStateProblems(outcomes, partners, before, after, versions)];
    const counts = statusCounts(outcomes);
    process.stdout.write(
      `concurrent-writers seed ${SEED}: ${outcomes.length} PUT-list requests by ${WRITERS} writers on ${PARTNERS} partners, statuses ${JSON.stringify(counts)}; ` +
        `writes committed per partner ${JSON.stringify(partners.map((id) => (after.get(id)?.category_id.length ?? 0)))}\n`,
    );
    expect(problems).toStrictEqual([]);
    // The run must have exercised what it checks: writes committed, on records others wrote too.
    expect(counts['200'] ?? 0).toBeGreaterThan(total / 4);
  }, 300_000);

  it(`${CREATES} concurrent creates get ${CREATES} distinct new ids, every record readable as created`, async () => {
    const existing = new Set((JSON.parse((await call('GET', `${OBJECT}/res.partner/search?context=${q("{'active_test': False}")}&limit=1000`)).body) as { Partner: number[] }).Partner);
    const answers = await Promise.all(
      Array.from({ length: CREATES }, async (_, i) => {
        const res = await call('POST', `${OBJECT}/res.partner?vals=${q(`{'name': '${RUN} created ${i}', 'ref': '${RUN}-c${i}'}`)}`);
        const id = res.status === 201 ? (JSON.parse(res.body) as { Partner: PartnerView }).Partner.id : undefined;
        if (id !== undefined) created.partners.push(id);
        return { i, status: res.status, id, problems: res.problems, body: res.body };
      }),
    );
    expect(answers.filter((a) => a.status !== 201 || a.problems.length > 0).map((a) => `#${a.i}: ${a.status} ${a.body.slice(0, 200)} ${a.problems.join('; ')}`)).toStrictEqual([]);
    const ids = answers.map((a) => a.id as number);
    expect(new Set(ids).size).toBe(CREATES);
    expect(ids.filter((id) => existing.has(id))).toStrictEqual([]);
    const read = await readPartners(ids);
    expect(ids.map((id) => [id, read.get(id)?.name, read.get(id)?.ref])).toStrictEqual(answers.map((a) => [a.id, `${RUN} created ${a.i}`, `${RUN}-c${a.i}`]));
  }, 120_000);

  it(`${SAME_RECORD_CLIENTS} clients writing one record at once (a single conditional UpdateItem each): every 200 shows its own token, the final one is a 200's, none lost`, async () => {
    const id = await create('res.partner', `${RUN} contended`);
    const start = await version(id);
    const outcomes = await Promise.all(Array.from({ length: SAME_RECORD_CLIENTS }, (_, c) => write(`client${c}`, [id], `${RUN}-one-${c}`)));
    const [record] = (await readPartners([id])).values();
    const committed = outcomes.filter((o) => o.status === 200);
    const moved = (await version(id)) - start;
    process.stdout.write(`concurrent-writers, one record, UpdateItem: statuses ${JSON.stringify(statusCounts(outcomes))}, version moved by ${moved}\n`);
    expect(answerProblems(outcomes)).toStrictEqual([]);
    expect(committed.length).toBeGreaterThan(0);
    expect(record?.street2).toBe(record?.ref);
    expect(committed.map((o) => o.token)).toContain(record?.street2);
    // Each 200 is one committed write, and no 409 wrote anything.
    expect(moved).toBe(committed.length);
  }, 120_000);

  it(`${SAME_RECORD_CLIENTS} clients writing one record with a witness each (a transaction each): the witnesses give the commit order, the last one's token is final`, async () => {
    const id = await create('res.partner', `${RUN} contended with witnesses`);
    const witnesses = await pooled(
      4,
      Array.from({ length: SAME_RECORD_CLIENTS }, (_, c) => () => create('res.partner.category', `${RUN} one-record witness ${c}`)),
    );
    const before = new Map([[id, await version(id)]]);
    const outcomes = await Promise.all(Array.from({ length: SAME_RECORD_CLIENTS }, (_, c) => write(`client${c}`, [id], `${RUN}-tx-${c}`, witnesses[c])));
    const after = await readPartners([id]);
    const versions = new Map([[id, await version(id)]]);
    process.stdout.write(`concurrent-writers, one record, transactions: statuses ${JSON.stringify(statusCounts(outcomes))}, commit order ${after.get(id)?.category_id.map((w) => witnesses.indexOf(w))}\n`);
    expect([...answerProblems(outcomes), ...finalStateProblems(outcomes, [id], before, after, versions)]).toStrictEqual([]);
    expect(outcomes.some((o) => o.status === 200)).toBe(true);
  }, 120_000);
});
