/**
 * The local stage's stand-in for the EventBridge bus: EventBridge is not emulated, so the entries
 * the change feed would publish are appended to a file (LOCAL_EVENTS_FILE, one JSON line each) and
 * announced on the console, labelled as not sent. Everything before PutEvents — the entries, their
 * sizes, the batching within PutEvents' limits — is the deployed code's.
 */
import { appendFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import type { EventBusPort, EventEntry, PutEventsAnswer } from '../changes/eventbridge';
import type { Logger } from './log';

export function localEventBus(file: string | undefined, log: Pick<Logger, 'info'>): EventBusPort {
  return {
    async putEvents(entries: readonly EventEntry[]): Promise<PutEventsAnswer> {
      const lines = entries.map((entry) =>
        JSON.stringify({
          'detail-type': entry.DetailType,
          source: entry.Source,
          'event-bus-name': entry.EventBusName,
          detail: JSON.parse(entry.Detail) as unknown,
        }),
      );
      if (file !== undefined) await appendFile(file, lines.map((line) => `${line}\n`).join(''));
      for (const entry of entries) {
        const { id, record_id: recordId } = JSON.parse(entry.Detail) as { id: string; record_id: number };
        log.info(`EventBridge (local stand-in, not sent): ${entry.DetailType} ${recordId}`, { changeId: id });
      }
      return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: `local-${randomUUID()}` })) };
    },
  };
}
