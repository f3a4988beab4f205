/**
 * What npm start shows of serverless-offline's output with API_LOGS=1 (scripts/local-stack.ts):
 * an expected 401 is the authorizer's own one-line log, not a stack trace; everything else as it comes.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findStackRecords, quietAuthorizerRefusals, stackRecordPath, writeStackRecord, type StackRecord } from '../../../scripts/local-stack';

// As serverless-offline 14 prints a refusal (stderr), around the authorizer's own line (stdout).
const REFUSAL_BLOCK = [
  "× Unhandled exception in handler 'authorizer'.",
  '× Error: Unauthorized',
  '      at Rp (/work/main/lib/http/authorizer-event.ts:84:21)',
  '      at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  '      at async MessagePort.<anonymous> (file:///work/main/node_modules/serverless-offline/src/lambda/handler-runner/worker-thread-runner/workerThreadHelper.js:24:14)',
  'Authorization function returned an error response: (λ: authorizer)',
];

function shown(chunks: readonly string[]): string {
  let text = '';
  const filter = quietAuthorizerRefusals((chunk) => (text += chunk));
  for (const chunk of chunks) filter.push(chunk);
  filter.flush();
  return text;
}

describe('quietAuthorizerRefusals', () => {
  it("drops serverless-offline's report of an expected 401 and keeps the lines around it", () => {
    const output = ['', 'Running Authorization function for put /restapi/1.0/object/res.partner (λ: authorizer)', ...REFUSAL_BLOCK, '', 'Running Authorization function for get /x (λ: authorizer)', ''].join('\n');
    expect(shown([output])).toBe(['', 'Running Authorization function for put /restapi/1.0/object/res.partner (λ: authorizer)', '', 'Running Authorization function for get /x (λ: authorizer)', ''].join('\n'));
  });

  it('recognises the block whatever the chunks it arrives in, and in colour', () => {
    const output = `before\n${REFUSAL_BLOCK.map((line) => `\x1b[31m${line}\x1b[39m`).join('\n')}\nafter\n`;
    const inPieces = output.match(/[\s\S]{1,7}/g) ?? [];
    expect(inPieces.length).toBeGreaterThan(20);
    expect(shown(inPieces)).toBe('before\nafter\n');
  });

  it('drops two refusals in a row', () => {
    expect(shown([[...REFUSAL_BLOCK, ...REFUSAL_BLOCK, 'next', ''].join('\n')])).toBe('next\n');
  });

  it('keeps any other exception of the authorizer, and those of the other functions, with their stack', () => {
    const crash = ["× Unhandled exception in handler 'authorizer'.", '× TypeError: x is not a function', '      at f (a.js:1:1)', 'Authorization function returned an error response: (λ: authorizer)', ''].join('\n');
    expect(shown([crash])).toBe(crash);
    const other = ["× Unhandled exception in handler 'object'.", '× Error: Unauthorized', '      at f (a.js:1:1)', ''].join('\n');
    expect(shown([other])).toBe(other);
  });

  it('shows a last line without a newline, and a header that ends the output, when flushed', () => {
    expect(shown(["× Unhandled exception in handler 'authorizer'.\n", 'partial'])).toBe("× Unhandled exception in handler 'authorizer'.\npartial");
  });
});

describe('the record of a running npm start', () => {
  let folder: string;
  const record = (port: number, pid: number): StackRecord => ({
    pid,
    port,
    apiUrl: `http://localhost:${port}`,
    dynamodbEndpoint: 'http://127.0.0.1:8000',
    keyFile: '/k',
    region: 'eu-west-1',
    tables: { records: 'r', auth: 'a' },
  });

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'stack-record-test-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('is found while its process lives, and removed by the remover', () => {
    const remove = writeStackRecord(record(3000, process.pid), folder);
    expect(findStackRecords(folder)).toStrictEqual([record(3000, process.pid)]);
    remove();
    expect([findStackRecords(folder), readdirSync(folder)]).toStrictEqual([[], []]);
  });

  it("is ignored, and removed, once its process is gone (npm start killed)", () => {
    // A pid above the kernel's maximum (4194304 on Linux) belongs to no process.
    writeFileSync(stackRecordPath(3001, folder), JSON.stringify(record(3001, 99_999_999)), { mode: 0o600 });
    expect(findStackRecords(folder)).toStrictEqual([]);
    expect(readdirSync(folder)).toStrictEqual([]);
  });

  it('lists several by port and skips files that are not records', () => {
    writeStackRecord(record(3002, process.pid), folder)();
    const removers = [writeStackRecord(record(3005, process.pid), folder), writeStackRecord(record(3003, process.pid), folder)];
    writeFileSync(join(folder, 'odoo-rest-lambda-stack-3004.json'), '{half');
    writeFileSync(join(folder, 'other.json'), JSON.stringify(record(3006, process.pid)));
    expect(findStackRecords(folder).map((found) => found.port)).toStrictEqual([3003, 3005]);
    for (const remove of removers) remove();
  });
});
