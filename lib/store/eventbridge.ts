/**
 * The change feed's EventBridge bus (deployed stages): PutEvents, one call per batch that
 * lib/changes/eventbridge.ts has already sized within the limits, its answer passed back as is
 * (publishAll reads the partial failures and retries them).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBusPort, EventEntry, PutEventsAnswer } from '../changes/eventbridge';

export interface EventBridgeConnection {
  readonly region: string;
  /** A stand-in EventBridge (tests); the function's SDK names it in its User-Agent as appId. */
  readonly endpoint?: string;
  readonly appId?: string;
}

export function eventBridgeBus({ region, endpoint, appId }: EventBridgeConnection): EventBusPort {
  const client = new EventBridgeClient({
    region,
    ...(appId ? { userAgentAppId: appId } : {}),
    ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return {
    async putEvents(entries: readonly EventEntry[]): Promise<PutEventsAnswer> {
      const answer = await client.send(
        new PutEventsCommand({
          Entries: entries.map(({ Resources, ...entry }) => ({
            ...entry,
            ...(Resources ? { Resources: [...Resources] } : {}),
          })),
        }),
      );
      return { FailedEntryCount: answer.FailedEntryCount ?? 0, Entries: answer.Entries ?? [] };
    },
  };
}
