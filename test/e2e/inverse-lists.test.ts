/**
 * One2many lists and their inverse many2one over HTTP (lib/records/inverses.ts): random changes of
 * both sides through the object routes (PUT of parent_id, PUT of child_ids commands, POST with a
 * parent or (0, 0, vals) children, DELETE), and after each every list of this file's own partners
 * agrees with their parent_id. Its records are its own, deleted at the end.
 */
import fc from 'fast-check';
import { objectCall } from '../helpers/local';

interface Partner {
  readonly id: number;
  readonly parent_id: false | [number, string];
  readonly child_ids: number[];
}

const own: number[] = [];

async function create(vals: string): Promise<number> {
  const answer = await objectCall('POST', 'res.partner', { vals });
  expect(answer.status).toBe(201);
  const id = (JSON.parse(answer.body) as { Partner: { id: number; child_ids: number[] } }).Partner;
  own.push(id.id, ...id.child_ids);
  return id.id;
}

async function partners(): Promise<Partner[]> {
  const live = [...new Set(own)].sort((a, b) => a - b);
  const answer = await objectCall('GET', 'res.partner/search_read', {
    domain: `[('id','in',[${live.join(',')}])]`,
    fields: "['parent_id','child_ids']",
    context: "{'active_test': False}",
  });
  if (answer.status === 404) return [];
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.body) as { Partner: Partner[] }).Partner;
}

/** The lists that do not hold exactly the partners whose parent_id names them (among all of them). */
function disagreements(records: readonly Partner[]): string[] {
  return records.flatMap((record) => {
    const children = records.filter((other) => other.parent_id && other.parent_id[0] === record.id).map((other) => other.id);
    const list = [...record.child_ids].sort((a, b) => a - b);
    return JSON.stringify(list) === JSON.stringify(children.sort((a, b) => a - b)) ? [] : [`${record.id}: [${list}] vs [${children}]`];
  });
}

afterAll(async () => {
  const live = (await partners()).map((record) => record.id);
  if (live.length > 0) await objectCall('DELETE', 'res.partner', { ids: live.join(',') });
});

describe('one2many lists over the object routes', () => {
  it('random writes of either side, creates and deletes leave every list agreeing with its many2ones', async () => {
    for (let i = 0; i < 6; i++) await create(`{'name': 'Lists e2e ${i}', 'is_company': ${i < 3 ? 'True' : 'False'}}`);
    const pick = fc.nat({ max: 1_000 });
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('parent' as const), child: pick, parent: fc.option(pick, { nil: undefined }) }),
      fc.record({ kind: fc.constant('link' as const), parent: pick, child: pick, command: fc.constantFrom(3, 4) }),
      fc.record({ kind: fc.constant('replace' as const), parent: pick, children: fc.array(pick, { maxLength: 3 }) }),
      fc.record({ kind: fc.constant('create' as const), parent: pick, withChild: fc.boolean() }),
      fc.record({ kind: fc.constant('delete' as const), target: pick }),
    );
    const operations = fc.sample(operation, { numRuns: 40, seed: 20261206 });
    let refused = 0;
    for (const op of operations) {
      const live = (await partners()).map((record) => record.id);
      const at = (n: number) => live[n % live.length] as number;
      let answer: { status: number; body: string } | undefined;
      if (op.kind === 'parent')
        answer = await objectCall('PUT', 'res.partner', { ids: String(at(op.child)), vals: `{'parent_id': ${op.parent === undefined ? 'False' : at(op.parent)}}` });
      else if (op.kind === 'link')
        answer = await objectCall('PUT', 'res.partner', { ids: String(at(op.parent)), vals: `{'child_ids': [(${op.command}, ${at(op.child)})]}` });
      else if (op.kind === 'replace')
        answer = await objectCall('PUT', 'res.partner', { ids: String(at(op.parent)), vals: `{'child_ids': [(6, 0, [${op.children.map(at).join(',')}])]}` });
      else if (op.kind === 'create')
        await create(op.withChild ? `{'name': 'Made', 'child_ids': [(0, 0, {'name': 'Made child'})]}` : `{'name': 'Made', 'parent_id': ${at(op.parent)}}`);
      else if (live.length > 3) answer = await objectCall('DELETE', 'res.partner', { ids: String(at(op.target)) });
      // A request that names a record as its own parent's child, say, may be refused: never a 5xx.
      if (answer && answer.status !== 200) {
        expect(answer.status).toBeLessThan(500);
        refused++;
      }
      expect(disagreements(await partners())).toEqual([]);
    }
    expect(refused).toBeLessThan(operations.length);
  });
});
