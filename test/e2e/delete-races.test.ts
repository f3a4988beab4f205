/**
 * A delete racing a write that links to the deleted record, through the served API (issue 15 §5):
 * DELETE res.country/ID and PUT res.partner/P country_id=ID sent at once, with a fresh country per
 * round (rounds in a few lanes at once, to keep the file short). At most one of them may succeed; afterwards no partner may point at a country that does
 * not exist. (The partners are the file's own, not demo partner 17: other e2e files, run in parallel
 * workers, compare partner 17's stored item before and after their own requests.)
 */
import { randomBytes } from 'node:crypto';
import { apiUrl, demoToken, servedItem } from '../helpers/local';
import { closeConnections, send } from '../helpers/served-http';

const RUN = `dr${randomBytes(3).toString('hex')}`;
const OBJECT = '/restapi/1.0/object';
const ROUNDS = 60;
/** Rounds run in this many lanes at once, each on a partner of its own (a round is ~0.7 s through serverless-offline). */
const LANES = 5;
const q = encodeURIComponent;

let token = '';
let partners: number[] = [];
const countries: number[] = [];

async function call(method: string, target: string): Promise<{ status: number; body: string }> {
  const res = await send(apiUrl(), { method, target, headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: res.body };
}

async function create(model: string, vals: string): Promise<number> {
  const res = await call('POST', `${OBJECT}/${model}?vals=${q(vals)}`);
  if (res.status !== 201) throw new Error(`creating ${model} answered ${res.status}: ${res.body}`);
  return (Object.values(JSON.parse(res.body) as Record<string, { id: number }>)[0] as { id: number }).id;
}

describe('DELETE racing a PUT that links to the deleted record (issue 15 §5)', () => {
  beforeAll(async () => {
    token = await demoToken();
    partners = await Promise.all(Array.from({ length: LANES }, (_, lane) => create('res.partner', `{'name': '${RUN} partner ${lane}'}`)));
  }, 60_000);

  afterAll(async () => {
    await call('DELETE', `${OBJECT}/res.partner?ids=${partners.join(',')}`);
    for (let i = 0; i < countries.length; i += 20) await call('DELETE', `${OBJECT}/res.country?ids=${countries.slice(i, i + 20).join(',')}`);
    closeConnections();
  }, 60_000);

  it(`${ROUNDS} rounds of DELETE res.country/ID against PUT res.partner country_id=ID: never both 200, no dangling reference`, async () => {
    const outcomes: Array<{ round: number; country: number; del: number; put: number; detail: string }> = [];
    const dangling: string[] = [];
    await Promise.all(
      partners.map(async (partner, lane) => {
        for (let round = lane; round < ROUNDS; round += LANES) {
          const country = await create('res.country', `{'name': '${RUN} country ${round}'}`);
          countries.push(country);
          const [del, put] = await Promise.all([
            call('DELETE', `${OBJECT}/res.country/${country}`),
            call('PUT', `${OBJECT}/res.partner/${partner}?vals=${q(`{'country_id': ${country}}`)}`),
          ]);
          // Checked every round: the lane's next PUT moves its partner on and would hide it.
          const pointsAt = (await servedItem('res.partner', partner))?.v?.country_id as number | null | undefined;
          if (typeof pointsAt === 'number' && (await servedItem('res.country', pointsAt)) === undefined) dangling.push(`round ${round}: partner ${partner} points at res.country(${pointsAt}), which does not exist`);
          outcomes.push({ round, country, del: del.status, put: put.status, detail: `${del.body.slice(0, 120)} | ${put.body.slice(0, 120)}` });
        }
      }),
    );
    const counts: Record<string, number> = {};
    for (const o of outcomes) counts[`DELETE ${o.del} / PUT ${o.put}`] = (counts[`DELETE ${o.del} / PUT ${o.put}`] ?? 0) + 1;
    process.stdout.write(`delete-races: ${JSON.stringify(counts)}\n`);
    expect({
      bothCommitted: outcomes.filter((o) => o.del === 200 && o.put === 200).map((o) => `round ${o.round}: ${o.detail}`),
      unexpected: outcomes.filter((o) => ![200, 403, 409].includes(o.del) || ![200, 403, 409].includes(o.put)).map((o) => `round ${o.round}: ${o.del}/${o.put} ${o.detail}`),
      dangling,
    }).toStrictEqual({ bothCommitted: [], unexpected: [], dangling: [] });
    // The race must have been run both ways, or it proved nothing.
    expect(outcomes.some((o) => o.del === 200)).toBe(true);
  }, 60_000);
});
