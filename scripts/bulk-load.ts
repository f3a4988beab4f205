/**
 * Loads many records fast (bench fixtures, imports): batches of BATCH records written by
 * RecordStore.putMany, CONCURRENCY batches at a time, with a progress bar on stderr.
 * No conditions and no transactions: for empty tables or data that may be overwritten.
 */
import type { RecordStore, StoredRecord } from '../lib/records/port';

const BATCH = 500;
const CONCURRENCY = 6;
const BAR_WIDTH = 30;

/** `[##########..........]  33%  33000/100000  5400/s` */
export function progressBar(done: number, total: number, perSecond: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}%  ${done}/${total}  ${Math.round(perSecond)}/s`;
}

export async function bulkLoad(store: RecordStore, records: readonly StoredRecord[], label: string, write: (text: string) => void = (text) => process.stderr.write(text)): Promise<void> {
  const started = performance.now();
  let done = 0;
  let next = 0;
  const show = () => write(`\r${label} ${progressBar(done, records.length, done / Math.max((performance.now() - started) / 1000, 0.001))}`);
  show();
  const worker = async () => {
    while (next < records.length) {
      const batch = records.slice(next, next + BATCH);
      next += BATCH;
      await store.putMany(batch);
      done += batch.length;
      show();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  write('\n');
}
