/**
 * The custom indexes' builder (custom.ts): for each claim past its fence, gives every record of
 * the claim's model the entries the catalog's registry declares (building: the new index's;
 * dropping: none in the slot), a page at a time, saving its progress in the claim; then marks a
 * built index ready (searches use it from the next check of each instance) or drops the claim of
 * one removed (its slot free again). Run by the `indexes` function every minute (serverless.yml;
 * under npm start, serverless-offline runs its schedule too) and by `npm run reindex`; two runs at
 * once write the same entries (each write conditioned on the version read), and the claims'
 * changes are conditional too.
 */
import type { ModelCatalog } from '../models/catalog';
import type { RecordStore } from '../records/port';
import { claimsToBuild, fenceEndOf, sameClaim, type IndexClaim } from './custom';

/** Records per page: one claim write per page (the catalog's stamp item), 16 index queries. */
export const BUILD_PAGE = 500;

export interface IndexBuildDeps {
  /** The store that writes with the catalog's indexer (lib/runtime/container.ts). */
  readonly store: Pick<RecordStore, 'reindexModel'>;
  readonly catalog: ModelCatalog;
  readonly clock?: () => number;
  /** Asked before each page: true to stop there (the progress is saved; the next run goes on). */
  readonly stop?: () => boolean;
  readonly progress?: (claim: IndexClaim, done: { read: number; written: number }) => void;
}

export interface IndexBuildResult {
  /** `model.field` of each index made ready, and of each dropped. */
  readonly ready: string[];
  readonly dropped: string[];
  /** Claims still inside their fence, with when they may be built. */
  readonly waiting: { readonly index: string; readonly from: number }[];
  readonly read: number;
  readonly written: number;
  readonly stopped: boolean;
}

const nameOf = (claim: IndexClaim) => `${claim.model}.${claim.field}`;

export async function buildIndexes(deps: IndexBuildDeps): Promise<IndexBuildResult> {
  const clock = deps.clock ?? Date.now;
  const result = { ready: [] as string[], dropped: [] as string[], read: 0, written: 0, stopped: false };
  // The claims and the registry as they are now: the store's indexer writes by that registry.
  await deps.catalog.reload();
  const now = clock();
  const due = claimsToBuild(deps.catalog.claims, now);
  const waiting = deps.catalog.claims
    .filter((claim) => claim.state !== 'ready' && !due.includes(claim))
    .map((claim) => ({ index: nameOf(claim), from: fenceEndOf(claim) }));
  for (const start of due) {
    let claim: IndexClaim | undefined = start;
    const done = { read: 0, written: 0 };
    while (claim) {
      if (deps.stop?.()) return { ...result, waiting, stopped: true };
      const page = await deps.store.reindexModel(claim.model, { afterId: claim.after ?? 0, limit: BUILD_PAGE });
      done.read += page.read;
      done.written += page.written;
      result.read += page.read;
      result.written += page.written;
      deps.progress?.(claim, done);
      if (page.lastId === undefined) break;
      claim = await saved(deps.catalog, claim, { ...claim, after: page.lastId });
    }
    // Changed meanwhile (the field indexed again, or not): the next run works on it as it is now.
    if (!claim) continue;
    const finished = claim;
    if (finished.state === 'dropping') {
      let dropped = false;
      await deps.catalog.updateClaims((claims) => {
        dropped = claims.some((c) => sameClaim(c, finished));
        return dropped ? claims.filter((c) => !sameClaim(c, finished)) : undefined;
      });
      // Another run may have dropped it first: only this run's drop is reported.
      if (dropped) result.dropped.push(nameOf(finished));
    } else {
      const { after: _done, ...built } = finished;
      const ready = await saved(deps.catalog, finished, { ...built, state: 'ready', since: clock() });
      if (ready) result.ready.push(nameOf(finished));
    }
  }
  return { ...result, waiting };
}

/** Replaces `claim` by `next` if it is still stored as it was; answers `next`, or undefined if it was not. */
async function saved(catalog: ModelCatalog, claim: IndexClaim, next: IndexClaim): Promise<IndexClaim | undefined> {
  const claims = await catalog.updateClaims((stored) =>
    stored.some((c) => sameClaim(c, claim)) ? stored.map((c) => (sameClaim(c, claim) ? next : c)) : undefined,
  );
  return claims.some((c) => sameClaim(c, next) && c.after === next.after) ? next : undefined;
}
