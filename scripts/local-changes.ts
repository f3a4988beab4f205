/**
 * The local stage's change feed: the records table's stream on DynamoDB Local, read with the
 * Streams API (lib/store/dynamodb/streams.ts) and handed to the deployed stream consumer's own
 * handler (handlers/changes.ts), which publishes to the EventBridge stand-in (LOCAL_EVENTS_FILE) and
 * delivers the webhooks (an in-process queue: pending retries live in this process).
 *
 * Started by scripts/local-stack.ts as a process of its own, with the environment serverless.yml's
 * local stage gives the functions; it prints READY_LINE once it reads the stream.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { handler } from '../handlers/changes';
import { StreamPoller } from '../lib/store/dynamodb/streams';

export const READY_LINE = 'change feed: reading the stream';

async function main(): Promise<void> {
  const tableName = process.env.RECORDS_TABLE;
  if (!tableName) throw new Error('RECORDS_TABLE is not set');
  const poller = new StreamPoller({
    endpoint: process.env.STREAM_ENDPOINT || process.env.DYNAMODB_ENDPOINT,
    region: process.env.AWS_REGION ?? 'eu-west-1',
    tableName,
    handler: (event) => handler(event as DynamoDBStreamEvent),
    onError: (error) => process.stderr.write(`change feed: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  await poller.start();
  process.stdout.write(`${READY_LINE}\n`);
  const stop = () => {
    void poller.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`change feed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
