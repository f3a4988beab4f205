/**
 * Call metrics as CloudWatch embedded metrics: the EMF lines Powertools prints, read back from
 * stdout (where Lambda's log agent finds them), and when a function prints none.
 */
import {
  createCallMetrics,
  metricsEnabled,
  recordedCall,
  NO_METRICS,
  type CallMetrics,
} from '../../../lib/runtime/metrics';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createLogger } from '../../../lib/runtime/log';

interface Emf {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

/** Every line `run` prints to stdout, parsed; stdout itself stays quiet. */
function printed(run: () => void): Emf[] {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Emf);
}

const METRIC_DEFINITIONS = [
  { Name: 'calls', Unit: 'Count' },
  { Name: 'clientErrors', Unit: 'Count' },
  { Name: 'serverErrors', Unit: 'Count' },
  { Name: 'latency', Unit: 'Milliseconds' },
];

describe('createCallMetrics', () => {
  const metrics = () => createCallMetrics({ service: 'object', stage: 'prod' });

  it('prints one EMF line per call: the four metrics over the function, model/method and client dimension sets', () => {
    const recorder = metrics();
    const lines = printed(() =>
      recorder.recordCall({ clientId: 'client-a', model: 'res.partner', method: 'write', status: 200, ms: 12.345 }),
    );
    expect(lines).toHaveLength(1);
    const [emf] = lines as [Emf];
    expect(emf._aws.CloudWatchMetrics).toStrictEqual([
      {
        Namespace: 'odoo-rest-lambda',
        Dimensions: [
          ['service', 'stage'],
          ['service', 'stage', 'model', 'method'],
          ['service', 'stage', 'clientId'],
        ],
        Metrics: METRIC_DEFINITIONS,
      },
    ]);
    expect(emf).toMatchObject({
      service: 'object',
      stage: 'prod',
      model: 'res.partner',
      method: 'write',
      clientId: 'client-a',
      calls: 1,
      clientErrors: 0,
      serverErrors: 0,
      latency: 12.35,
      status: '200',
    });
    expect(typeof emf._aws.Timestamp).toBe('number');
  });

  it('counts a 4xx as a client error and a 5xx as a server error, never both', () => {
    const recorder = metrics();
    const lines = printed(() => {
      recorder.recordCall({ status: 404, ms: 1 });
      recorder.recordCall({ status: 503, ms: 1 });
      recorder.recordCall({ status: 201, ms: 1 });
    });
    expect(
      lines.map(({ calls, clientErrors, serverErrors, status }) => ({ calls, clientErrors, serverErrors, status })),
    ).toStrictEqual([
      { calls: 1, clientErrors: 1, serverErrors: 0, status: '404' },
      { calls: 1, clientErrors: 0, serverErrors: 1, status: '503' },
      { calls: 1, clientErrors: 0, serverErrors: 0, status: '201' },
    ]);
  });

  it('leaves out a dimension set whose labels are unknown, and keeps no label from one call to the next', () => {
    const recorder = metrics();
    const lines = printed(() => {
      recorder.recordCall({ clientId: 'client-a', model: 'res.partner', method: 'read', status: 200, ms: 1 });
      recorder.recordCall({ model: 'res.partner', status: 401, ms: 1 });
    });
    const second = lines[1] as Emf;
    expect(second._aws.CloudWatchMetrics[0]?.Dimensions).toStrictEqual([['service', 'stage']]);
    expect(second).not.toHaveProperty('clientId');
    expect(second).not.toHaveProperty('method');
  });

  it('keeps label values printable ASCII and short, as CloudWatch takes them', () => {
    const recorder = metrics();
    const [emf] = printed(() => recorder.recordCall({ clientId: `é${'x'.repeat(300)}`, status: 200, ms: 1 })) as [Emf];
    expect(emf.clientId).toBe(`?${'x'.repeat(127)}`);
  });

  it('drops a blank label rather than send CloudWatch an empty dimension value', () => {
    const recorder = metrics();
    const [emf] = printed(() =>
      recorder.recordCall({ clientId: '   ', model: 'res.partner', method: 'read', status: 200, ms: 1 }),
    ) as [Emf];
    expect(emf._aws.CloudWatchMetrics[0]?.Dimensions).toStrictEqual([
      ['service', 'stage'],
      ['service', 'stage', 'model', 'method'],
    ]);
    expect(emf).not.toHaveProperty('clientId');
  });
});

describe('a call metric that cannot be published', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is logged, never thrown, and leaves nothing for the next call to publish', () => {
    const logged: string[] = [];
    const recorder = createCallMetrics({
      service: 'object',
      stage: 'prod',
      log: createLogger({}, (line) => logged.push(line)),
    });
    jest.spyOn(Metrics.prototype, 'publishStoredMetrics').mockImplementationOnce(() => {
      throw new Error('stdout closed');
    });
    const lines = printed(() => {
      expect(() => recorder.recordCall({ clientId: 'client-a', status: 500, ms: 1 })).not.toThrow();
      recorder.recordCall({ status: 200, ms: 2 });
    });
    expect(logged.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { level: 'warn', message: 'call metric failed', error: 'Error: stdout closed' },
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ calls: 1, serverErrors: 0, latency: 2, status: '200' });
    expect(lines[0]).not.toHaveProperty('clientId');
  });
});

describe('metricsEnabled', () => {
  it('is on in Lambda and off under serverless-offline (IS_OFFLINE), unless POWERTOOLS_METRICS_DISABLED says otherwise', () => {
    expect(metricsEnabled({})).toBe(true);
    expect(metricsEnabled({ IS_OFFLINE: 'true' })).toBe(false);
    expect(metricsEnabled({ IS_OFFLINE: 'true', POWERTOOLS_METRICS_DISABLED: 'false' })).toBe(true);
    expect(metricsEnabled({ POWERTOOLS_METRICS_DISABLED: 'true' })).toBe(false);
    expect(metricsEnabled({ POWERTOOLS_METRICS_DISABLED: '1' })).toBe(false);
    // Empty, as a serverless.yml ${env:...} default leaves it: not a decision either way.
    expect(metricsEnabled({ IS_OFFLINE: 'true', POWERTOOLS_METRICS_DISABLED: '' })).toBe(false);
  });

  it('NO_METRICS prints nothing', () => {
    expect(printed(() => NO_METRICS.recordCall({ status: 500, ms: 1 }))).toStrictEqual([]);
  });
});

describe('recordedCall', () => {
  function memoryMetrics(): { metrics: CallMetrics; calls: unknown[] } {
    const calls: unknown[] = [];
    return { metrics: { recordCall: (call) => calls.push(call) }, calls };
  }

  it('records a call that returns, with the status and labels its outcome gives, and returns its value', async () => {
    const { metrics, calls } = memoryMetrics();
    const value = await recordedCall(
      metrics,
      async () => 'granted',
      () => ({ status: 200, clientId: 'client-a' }),
    );
    expect(value).toBe('granted');
    expect(calls).toStrictEqual([{ status: 200, clientId: 'client-a', ms: expect.any(Number) }]);
  });

  it('records a call that throws, then throws its error on', async () => {
    const { metrics, calls } = memoryMetrics();
    const refusal = new Error('Unauthorized');
    const outcome = (ended: { value: never } | { error: unknown }) => ({
      status: 'error' in ended && ended.error === refusal ? 401 : 500,
    });
    await expect(recordedCall(metrics, () => Promise.reject(refusal), outcome)).rejects.toBe(refusal);
    expect(calls).toStrictEqual([{ status: 401, ms: expect.any(Number) }]);
  });
});
