/**
 * The README's examples, run as written against the local stack this test run started, so that a
 * README that drifts from the code fails CI.
 *
 * How the README marks its examples: an HTML comment (GitHub does not render it) on the line
 * before a fenced block:
 *
 *   <!-- readme-test: run -->          a shell block to run. The blocks of one section (the nearest
 *                                      heading above) run in order in one bash process
 *                                      (`set -euo pipefail`), so a variable set in one block is seen
 *                                      by the next; the process has exactly npm start's `export`
 *                                      variables (API, CLIENT_ID, ... TOKEN: the names of the block
 *                                      marked `exports`, with this run's values), plus PATH (the
 *                                      repository's node_modules/.bin first, as npm scripts have it),
 *                                      HOME, LANG, NODE_PATH, and DYNAMODB_ENDPOINT and
 *                                      SECRETS_KEY_FILE for the admin CLI.
 *                                      It runs in the repository's folder.
 *   <!-- readme-test: file NAME -->    a block (a script in any language) saved as NAME in a fresh
 *                                      folder where that section's shell blocks then run (with
 *                                      NODE_PATH set to the repository's node_modules, which a
 *                                      reader has by saving it in the repository's folder).
 *   <!-- readme-test: exports -->      the lines npm start prints to paste: their names must be the
 *                                      variables the examples are given.
 *   <!-- readme-test: skip, REASON --> a block not run (npm start itself, npm test, a deploy).
 *
 * Every sh/bash/js/... block must carry one of them. Inside a shell block, comment lines are for
 * the reader, except `# => TEXT` lines right after a command: what it must print, each such line
 * matching a whole line of its output, in order (other lines may come in between, such as npm's
 * banner); `...` stands for any text. Every curl's HTTP status is recorded (a `-w` writing to
 * stderr, nothing else changed): a command that gets an HTTP error fails unless its expected output
 * is written. Where a reader would open an address in a browser (the printed authorize URL of
 * OAuth 2 or OAuth 1.0a), this test signs in as admin and approves over HTTP, as test/e2e/oauth.test.ts
 * does, and types what the README says to paste (the code, the verifier) on the section's stdin.
 *
 * The examples only write what other files of this run tolerate: the seed request on partners 17
 * and 20 (street2, as test/e2e/put-list.test.ts and oauth.test.ts do), records and clients of their
 * own (a tag, a custom model deleted again, user 7 "jane", whom no other file uses).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiUrl, demoBasicClient, demoClient, demoOAuth1Client, demoPassword, demoToken } from '../helpers/local';
import { CookieJar, formOf, postForm } from '../helpers/consent-pages';
import {
  EXECUTABLE_LANGS,
  exampleSections,
  fencedBlocks,
  problemsOf,
  runSection,
  type ExampleSection,
} from '../helpers/readme-examples';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SECTION_TIMEOUT_MS = 240_000;

/** The contract of npm start's pasteable lines: these names, and only these, reach the examples. */
const EXPORTED = [
  'API',
  'CLIENT_ID',
  'CLIENT_SECRET',
  'CONSUMER_KEY',
  'CONSUMER_SECRET',
  'BASIC_ID',
  'BASIC_SECRET',
  'TOKEN',
];

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this test through jest (test/setup starts the local stack)`);
  return value;
}

/** What a reader's shell has after pasting npm start's lines, with this run's values. */
async function exampleEnvironment(): Promise<Record<string, string>> {
  const exported: Record<string, string> = {
    API: apiUrl(),
    CLIENT_ID: demoClient().clientId,
    CLIENT_SECRET: demoClient().clientSecret,
    CONSUMER_KEY: demoOAuth1Client().clientId,
    CONSUMER_SECRET: demoOAuth1Client().clientSecret,
    BASIC_ID: demoBasicClient().clientId,
    BASIC_SECRET: demoBasicClient().clientSecret,
    TOKEN: await demoToken(),
  };
  return {
    ...exported,
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    NODE_PATH: join(ROOT, 'node_modules'),
    // The admin CLI without --stage: these take precedence over the stack npm start records.
    DYNAMODB_ENDPOINT: required('TEST_DYNAMODB_ENDPOINT'),
    SECRETS_KEY_FILE: required('TEST_SECRETS_KEY_FILE'),
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
}

/** What the reader does in the browser: open the address, sign in as admin, approve; where the browser is sent. */
async function signInAndApprove(authorizeUrl: string): Promise<URL> {
  const jar = new CookieJar();
  const signInPage = await fetch(authorizeUrl, { redirect: 'manual' });
  jar.take(signInPage);
  if (signInPage.status !== 200)
    throw new Error(`${authorizeUrl} answered ${signInPage.status}: ${await signInPage.text()}`);
  const signIn = formOf(await signInPage.text());
  const consentPage = await postForm(jar, signIn.action, {
    ...signIn.fields,
    login: 'admin',
    password: demoPassword(),
  });
  const consent = formOf(await consentPage.text());
  const decided = await postForm(jar, consent.action, { ...consent.fields, decision: 'approve' });
  const location = decided.headers.get('location');
  if (decided.status !== 303 || !location)
    throw new Error(`approving answered ${decided.status}: ${await decided.text()}`);
  return new URL(location);
}

const AUTHORIZE_URL = /(https?:\/\/\S+\/restapi\/1\.0\/common\/oauth([12])\/authorize\?[^\s"']+)/;

/** The browser step: for a printed authorize address, what the README tells the reader to paste. */
async function browserStep(line: string): Promise<string | undefined> {
  const match = AUTHORIZE_URL.exec(line);
  if (!match) return undefined;
  const callback = await signInAndApprove(match[1] as string);
  const pasted = callback.searchParams.get(match[2] === '2' ? 'code' : 'oauth_verifier');
  if (!pasted) throw new Error(`the browser was sent to ${callback.href}`);
  return pasted;
}

describe("the README's markings", () => {
  it('marks every block of code a reader would run as run, file NAME, exports or skip with a reason', () => {
    const unmarked = fencedBlocks(README)
      .filter((block) => EXECUTABLE_LANGS.has(block.lang) && block.marking === undefined)
      .map((block) => `README line ${block.line} (${block.section}): ${block.text.split('\n')[0]}`);
    expect(unmarked).toStrictEqual([]);
  });

  it("shows npm start's export lines with exactly the variables the examples are given", () => {
    const exportBlocks = fencedBlocks(README).filter((block) => block.marking?.kind === 'exports');
    expect(exportBlocks).toHaveLength(1);
    const names = [...(exportBlocks[0]?.text ?? '').matchAll(/^export ([A-Z_]+)='[^']*'/gm)].map((match) => match[1]);
    expect(names).toStrictEqual(EXPORTED);
  });

  it('has runnable examples in the sections that explain each flow', () => {
    expect(exampleSections(README).map((section) => section.heading)).toStrictEqual(
      expect.arrayContaining([
        'Run it',
        'Custom models',
        'OAuth 2.0',
        'OAuth 1.0a',
        'Basic tokens (the original, Odoo 15+)',
        'Administration',
      ]),
    );
  });
});

describe("the README's examples, run as written against the local stack", () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    env = await exampleEnvironment();
  });

  it.each(exampleSections(README).map((section): [string, ExampleSection] => [section.heading, section]))(
    '%s',
    async (_heading, section) => {
      const run = await runSection(section, { env, cwd: ROOT, onPrinted: browserStep, timeoutMs: SECTION_TIMEOUT_MS });
      expect(problemsOf(run)).toStrictEqual([]);
      expect(run.commands.every((command) => command.ran)).toBe(true);
    },
    SECTION_TIMEOUT_MS + 30_000,
  );
});

describe('the runner itself', () => {
  const section = (markdown: string) =>
    exampleSections(`## Probe\n\n<!-- readme-test: run -->\n\`\`\`sh\n${markdown}\n\`\`\`\n`)[0] as ExampleSection;
  const run = async (markdown: string) =>
    problemsOf(
      await runSection(section(markdown), {
        env: await exampleEnvironment(),
        cwd: ROOT,
        onPrinted: browserStep,
        timeoutMs: 30_000,
      }),
    );

  it('passes a command that prints what its # => lines say', async () => {
    expect(await run('curl -s "$API/restapi/1.0/common/version"\n# => {"server_version":"17.0",...}')).toStrictEqual(
      [],
    );
  });

  it('fails a command that gets an HTTP error the README does not show', async () => {
    const problems = await run('curl -s "$API/restapi/1.0/object/res.partner/17"');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^README line 5: curl .*\n {2}HTTP 401 \(the README states no output for it\)/);
  });

  it('fails a command that prints something else than its # => lines say', async () => {
    const problems = await run(
      'curl -s -g -H "Authorization: Bearer $TOKEN" "$API/restapi/1.0/object/res.partner/17?fields=[\'name\']"\n# => {"Partner":{"id":17,"name":"Someone else"}}',
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('printed:\n    {"Partner":{"id":17,"name":"Edward Foster"}}');
  });

  it('fails a section where a variable is not defined, and stops there', async () => {
    const problems = await run('echo "$REFRESH"\necho never');
    expect(problems).toStrictEqual([
      expect.stringMatching(/^bash exited with 1 at README line 5: echo "\$REFRESH"\n.*REFRESH: unbound variable/s),
    ]);
  });

  it('types what the browser step found, as the reader pastes it', async () => {
    const authorize =
      '$API/restapi/1.0/common/oauth2/authorize?client_id=$CLIENT_ID&redirect_uri=http://localhost:8080/callback&response_type=code';
    expect(
      await run(
        `echo "${authorize}"\nprintf 'code: '; read -r CODE\necho "got \${#CODE} characters"\n# => got 32 characters`,
      ),
    ).toStrictEqual([]);
  });

  it('stops a section whose browser step fails, instead of waiting for an answer', async () => {
    const authorize =
      '$API/restapi/1.0/common/oauth2/authorize?client_id=nobody&redirect_uri=http://localhost:8080/callback&response_type=code';
    const problems = await run(`echo "${authorize}"\nprintf 'code: '; read -r CODE\necho never`);
    expect(problems).toStrictEqual([
      expect.stringMatching(
        /^bash exited with 1 at README line 6: printf 'code: '; read -r CODE\n.*the browser step failed: .*answered 4\d\d/s,
      ),
    ]);
  });
});
