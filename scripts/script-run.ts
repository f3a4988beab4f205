/**
 * What the long-running scripts (npm run bench, npm run load) share: undoing their setup whatever
 * happens, Ctrl-C included, a token for the demo client, and the machine line their figures need.
 */
import { arch, constants as osConstants, cpus, platform, totalmem } from 'node:os';
import type { DemoClient } from './local-stack';

/** Steps that undo the setup, run in reverse order once, whether the script ends, fails or is interrupted. */
export class Cleanup {
  readonly #steps: Array<() => Promise<unknown>> = [];

  add(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      await step().catch((error: Error) => process.stderr.write(`cleanup: ${error.message}\n`));
    }
  }
}

/**
 * Runs `body` with a Cleanup that always runs; on SIGINT/SIGTERM it runs at once and the process
 * exits (DynamoDB Local and serverless-offline, in its own process group, would otherwise stay).
 * `body` answering false sets exit code 1.
 */
export async function runWithCleanup(name: string, body: (cleanup: Cleanup, state: { readonly interrupted: boolean }) => Promise<boolean | void>): Promise<void> {
  const cleanup = new Cleanup();
  const state = { interrupted: false };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      state.interrupted = true;
      process.stderr.write(`${name} interrupted (${signal}): stopping what it started\n`);
      void cleanup.run().finally(() => process.exit(128 + osConstants.signals[signal]));
    });
  }
  try {
    if ((await body(cleanup, state)) === false) process.exitCode = 1;
  } catch (error) {
    // Once interrupted, failures are the stack going away under a request; the signal handler exits.
    if (!state.interrupted) {
      process.stderr.write(`${name} failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  } finally {
    await cleanup.run();
  }
}

/** An access token for `client` from the served token endpoint. */
export async function fetchToken(apiUrl: string, client: DemoClient, timeoutMs: number): Promise<string> {
  const response = await fetch(`${apiUrl}/restapi/1.0/common/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`the token endpoint answered ${response.status}: ${body.slice(0, 500)}`);
  return (JSON.parse(body) as { access_token: string }).access_token;
}

/** The line that says which machine the figures come from. */
export function machineLine(): string {
  const cpu = cpus();
  return `Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${platform()} ${arch()}`;
}
