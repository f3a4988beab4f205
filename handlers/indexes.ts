/**
 * The custom indexes' builder (lib/indexes/build.ts), every minute (serverless.yml): fills a custom
 * field's index once every writer has heard of it, then marks it ready; removes a dropped one's
 * entries. Stops before its timeout with its progress kept (the next run goes on from there).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { buildIndexes } from '../lib/indexes/build';
import { getCatalog, getLogger, getRecordStore } from '../lib/runtime/container';

const log = getLogger();
/** Time kept for the page under way and the claim's save after the last check. */
const STOP_MARGIN_MS = 15_000;

export const handler = async (_event: ScheduledEvent, context?: Context) => {
  log.startInvocation(context);
  const result = await buildIndexes({
    store: getRecordStore(),
    catalog: getCatalog(),
    stop: () => (context ? context.getRemainingTimeInMillis() < STOP_MARGIN_MS : false),
  });
  if (result.ready.length + result.dropped.length + result.read > 0 || result.waiting.length > 0)
    log.info('Custom indexes', { ...result, waiting: result.waiting.map(({ index }) => index) });
  return { ready: result.ready, dropped: result.dropped, stopped: result.stopped };
};
