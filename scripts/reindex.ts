/**
 * `npm run reindex [-- --stage STAGE | --port PORT]`: gives every record of the records table its
 * entries in the declared field indexes (lib/indexes) and rebuilds every one2many list from the
 * many2one it is the inverse of (lib/records/inverses.ts), then marks the table (searches use the
 * indexes from then on, and deletes the lists; until then they walk their models).
 *
 * Run it after deploying a release that declares an index (or moves one); `npm start` runs it on a
 * data folder kept from before. Idempotent: a record that already holds its entries is not written,
 * and each write is conditioned on the version read (a record changed meanwhile got its entries from
 * that change). Resumable: the scan's position is saved in `.reindex-<table>.json` after every page
 * and an interrupted run (Ctrl-C) goes on from there. The DynamoDB Scan is split into SEGMENTS
 * read in parallel. Then the custom fields' indexes (lib/indexes/custom.ts) whose fence has passed are
 * built, or dropped, as the indexes function would (lib/indexes/build.ts); one still inside its fence
 * is named, with when it can be built (the function builds it then, or run this again).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../lib/store/dynamodb/client';
import type { DynamoRecordStore } from '../lib/store/dynamodb/records-table';
import { buildIndexes, type IndexBuildResult } from '../lib/indexes/build';
import type { ModelCatalog } from '../lib/models/catalog';
import { catalogIndexedStore } from '../lib/runtime/indexed-store';
import { shippedLayoutId } from '../lib/indexes/indexer';
import { buildRegistry } from '../lib/models/registry';
import { relinkLists } from '../lib/records/inverses';
import { relinkCompleteNames } from '../lib/records/complete-names';
import { shippedModels } from '../models';
import { describeTarget, resolveTarget } from './admin';
import { progressBar } from './bulk-load';

const SEGMENTS = 4;
const USAGE = 'usage: npm run reindex [-- --stage STAGE | --port PORT]';

interface Checkpoint {
  readonly layout: string;
  /** Per segment: where its scan goes on (null: done). */
  readonly segments: readonly (Record<string, unknown> | null | 'start')[];
  readonly scanned: number;
  readonly written: number;
}

export interface ReindexResult {
  readonly scanned: number;
  readonly written: number;
  readonly resumed: boolean;
  readonly interrupted: boolean;
  /** What the custom indexes' builder did (with a catalog only). */
  readonly custom?: IndexBuildResult;
}

/**
 * Reindexes `store`'s table; `checkpointFile` keeps the position between runs (removed when done).
 * Exported for npm start (scripts/local-stack.ts) and the tests. With `catalog` (the one `store`
 * indexes by: lib/runtime/indexed-store.ts), custom fields' entries are kept and their pending
 * indexes built; without, the store's indexer is the shipped declarations' (a table with no custom index).
 */
export async function reindex(
  store: DynamoRecordStore,
  options: {
    checkpointFile: string;
    approximateTotal?: number;
    err?: (text: string) => void;
    stop?: () => boolean;
    catalog?: ModelCatalog;
  },
): Promise<ReindexResult> {
  // The registry the store writes entries by, custom indexes included, before any page is written.
  await options.catalog?.reload();
  const layout = shippedLayoutId();
  const saved = existsSync(options.checkpointFile)
    ? (JSON.parse(readFileSync(options.checkpointFile, 'utf8')) as Checkpoint)
    : undefined;
  // A checkpoint of another layout is of no use: its pages were indexed for other declarations.
  const resumed = saved?.layout === layout;
  const segments: (Record<string, unknown> | null | 'start')[] = resumed
    ? [...saved.segments]
    : Array.from({ length: SEGMENTS }, () => 'start' as const);
  let scanned = resumed ? saved.scanned : 0;
  let written = resumed ? saved.written : 0;
  const started = performance.now();
  const firstScanned = scanned;
  const show = () =>
    options.err?.(
      `\rreindexing ${progressBar(scanned, Math.max(options.approximateTotal ?? scanned, scanned), (scanned - firstScanned) / Math.max((performance.now() - started) / 1000, 0.001))}  ${written} written`,
    );
  const save = () =>
    writeFileSync(options.checkpointFile, JSON.stringify({ layout, segments, scanned, written } satisfies Checkpoint));
  let interrupted = false;
  await Promise.all(
    segments.map(async (_, segment) => {
      while (segments[segment] !== null) {
        if (options.stop?.()) {
          interrupted = true;
          return;
        }
        const position = segments[segment];
        const page = await store.reindexPage(
          { segment, of: segments.length },
          position === 'start' ? undefined : (position ?? undefined),
        );
        scanned += page.scanned;
        written += page.written;
        segments[segment] = page.next ?? null;
        save();
        show();
      }
    }),
  );
  show();
  options.err?.('\n');
  if (interrupted) return { scanned, written, resumed, interrupted };
  // The one2many lists from their inverse many2ones (idempotent: a run that stops here redoes the
  // scans, and writes only the lists still drifted).
  const relinked = await relinkLists(store, buildRegistry(shippedModels), ({ checked, written: lists }) =>
    options.err?.(`\rrelinking one2many lists: ${checked} records checked, ${lists} lists rebuilt`),
  );
  options.err?.('\n');
  written += relinked.written;
  // The stored complete names from the hierarchies (idempotent, as the lists).
  const named = await relinkCompleteNames(store, buildRegistry(shippedModels), ({ checked, written: names }) =>
    options.err?.(`\rnaming partners: ${checked} records checked, ${names} complete names written`),
  );
  options.err?.('\n');
  written += named.written;
  await store.markIndexesReady();
  rmSync(options.checkpointFile, { force: true });
  if (!options.catalog) return { scanned, written, resumed, interrupted };
  const custom = await buildIndexes({
    store,
    catalog: options.catalog,
    ...(options.stop ? { stop: options.stop } : {}),
    progress: (claim, done) =>
      options.err?.(`\r${claim.state === 'dropping' ? 'dropping' : 'building'} ${claim.model}.${claim.field}: ${done.read} records read`),
  });
  options.err?.('\n');
  return { scanned, written, resumed, interrupted: custom.stopped, custom };
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { stage: { type: 'string' }, port: { type: 'string' }, region: { type: 'string' } },
  });
  let stop = false;
  process.on('SIGINT', () => {
    stop = true;
  });
  (async () => {
    const target = resolveTarget(values, process.env);
    process.stderr.write(`${describeTarget(target).replace(/^admin:/, 'reindex:')}\n`);
    const client = createDocumentClient({ endpoint: target.endpoint, region: target.region });
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: target.tables.records }));
      const { store, catalog } = catalogIndexedStore(client, { records: target.tables.records });
      const result = await reindex(store, {
        catalog,
        checkpointFile: `.reindex-${target.tables.records}.json`,
        approximateTotal: Table?.ItemCount ?? 0,
        err: (text) => void process.stderr.write(text),
        stop: () => stop,
      });
      const from = result.resumed ? ' (resumed)' : '';
      process.stdout.write(
        result.interrupted
          ? `interrupted after ${result.scanned} records${from}; run it again to go on\n`
          : `${result.scanned} records read, ${result.written} given their index entries${from}; the table is marked\n`,
      );
      for (const index of result.custom?.ready ?? []) process.stdout.write(`custom index ${index}: built, ready\n`);
      for (const index of result.custom?.dropped ?? []) process.stdout.write(`custom index ${index}: dropped\n`);
      for (const { index, from: at } of result.custom?.waiting ?? [])
        process.stdout.write(`custom index ${index}: every writer knows it from ${new Date(at).toISOString()}; built then (the indexes function), or run this again\n`);
      process.exit(result.interrupted ? 1 : 0);
    } finally {
      client.destroy();
    }
  })().catch((error: Error) => {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exit(1);
  });
}
