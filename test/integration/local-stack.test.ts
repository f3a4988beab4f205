/**
 * npm start itself and the local stack it runs: what it prints, what it serves, DATA_DIR,
 * DYNAMODB_ENDPOINT, and that SIGTERM leaves no process and no port behind.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import demoData from '../../scripts/demo-data.json';
import { freePort, localKeyFile, prepareData, startDynamo } from '../../scripts/local-stack';

const ROOT = join(__dirname, '..', '..');

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('the local stack', () => {
  it('keeps its data under DATA_DIR across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'odoo-rest-data-'));
    try {
      const said: string[] = [];
      const first = await startDynamo({ dataDir });
      await prepareData(first.endpoint, localKeyFile(dataDir, 0), (line) => said.push(line));
      await first.stop();
      expect(await readdir(dataDir)).toContain('shared-local-instance.db');
      const second = await startDynamo({ dataDir });
      await prepareData(second.endpoint, localKeyFile(dataDir, 0), (line) => said.push(line));
      await second.stop();
      expect(said).toStrictEqual([
        `Loaded ${Object.values(demoData.records).flat().length} demo records into odoo-rest-lambda-local-records`,
        'Kept the existing records in odoo-rest-lambda-local-records',
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('uses the DynamoDB at DYNAMODB_ENDPOINT without starting or stopping one', async () => {
    const endpoint = process.env.TEST_DYNAMODB_ENDPOINT as string;
    const handle = await startDynamo({ endpoint });
    expect(handle.endpoint).toBe(endpoint);
    await handle.stop();
    expect((await fetch(endpoint, { method: 'POST' })).status).toBeGreaterThan(0);
  });
});

describe('npm start', () => {
  it('prints working credentials and curl commands, serves the seed request, and stops everything on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const deadline = Date.now() + 120_000;
      while (!output.includes('Ready.') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(output).toContain('Ready.');
      const dynamoPort = Number(/DynamoDB Local \(in memory\) at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
      const clientId = /client_id +([A-Za-z0-9]{32})/.exec(output)?.[1];
      const token = /TOKEN=([A-Za-z0-9]{32})/.exec(output)?.[1];
      const curls = output.split('\n').filter((line) => line.trim().startsWith('curl -g -X PUT'));
      expect([typeof clientId, typeof token, curls.length]).toStrictEqual(['string', 'string', 2]);
      expect(curls[1]).toContain("-H 'Accept: application/xml'");

      // The printed command's URL, with the printed token, answers the seed response.
      const url = /"(http:\/\/localhost:\d+\/restapi[^"]+)"/.exec(curls[0] as string)?.[1] as string;
      const response = await fetch(url.replace('localhost', '127.0.0.1'), { method: 'PUT', headers: { Authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { Partner: Array<{ street2: string }> }).Partner.map((p) => p.street2)).toStrictEqual([
        'Chung Hsiao East Road',
        'Chung Hsiao East Road',
      ]);
      const start = (await (await fetch(`http://127.0.0.1:${port}/start`)).json()) as { client_id: string };
      expect(start.client_id).toBe(clientId);

      child.kill('SIGTERM');
      await once(child, 'exit');
      expect([await portIsFree(port), await portIsFree(dynamoPort)]).toStrictEqual([true, true]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
