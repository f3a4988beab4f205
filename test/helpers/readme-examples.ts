/**
 * The README's examples as data, and a runner that runs them as a reader would: each section's
 * marked blocks in one bash process, in order. The conventions are described in
 * test/e2e/readme.test.ts, which uses this.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How a fenced block is marked: the HTML comment on the line(s) just before it. */
export type Marking =
  { kind: 'run' } | { kind: 'file'; name: string } | { kind: 'exports' } | { kind: 'skip'; reason: string };

export interface FencedBlock {
  /** The heading the block sits under (the nearest one above it). */
  readonly section: string;
  readonly lang: string;
  readonly text: string;
  /** 1-based line of the README where the block's text starts. */
  readonly line: number;
  readonly marking: Marking | undefined;
}

/** One shell command of a runnable block (backslash continuations joined) and what it must print. */
export interface ExampleCommand {
  readonly text: string;
  readonly line: number;
  /** The `# => ` lines right after it, without the prefix; empty when nothing is stated. */
  readonly expected: readonly string[];
}

export interface ExampleSection {
  readonly heading: string;
  readonly commands: readonly ExampleCommand[];
  /** Blocks written to files in the section's folder before it runs. */
  readonly files: ReadonlyArray<{ name: string; text: string }>;
}

const MARKER = /^<!--\s*readme-test:\s*(.*?)\s*-->$/;
const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);
/** Blocks of code a reader would run: these must all be marked (run, file, exports or skip). */
export const EXECUTABLE_LANGS = new Set([...SHELL_LANGS, 'js', 'javascript', 'ts', 'typescript', 'python', 'py']);

function parseMarking(text: string): Marking {
  if (text === 'run') return { kind: 'run' };
  if (text === 'exports') return { kind: 'exports' };
  const file = /^file\s+([\w.-]+)$/.exec(text);
  if (file) return { kind: 'file', name: file[1] as string };
  const skip = /^skip\b[\s,:—-]*(.+)$/.exec(text);
  if (skip) return { kind: 'skip', reason: skip[1] as string };
  throw new Error(`unknown readme-test marking '${text}' (run, file NAME, exports, skip REASON)`);
}

/** Every fenced block of a Markdown text, with its section and marking. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  let section = '';
  let pending: Marking | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    const marker = MARKER.exec(line.trim());
    const fence = /^(```+)\s*([\w-]*)\s*$/.exec(line);
    if (heading) {
      section = (heading[1] as string).trim();
      pending = undefined;
    } else if (marker) {
      pending = parseMarking(marker[1] as string);
    } else if (fence) {
      const close = fence[1] as string;
      const start = i + 1;
      let end = start;
      while (end < lines.length && (lines[end] as string).trim() !== close) end++;
      blocks.push({
        section,
        lang: fence[2] as string,
        text: lines.slice(start, end).join('\n'),
        line: start + 1,
        marking: pending,
      });
      pending = undefined;
      i = end;
    } else if (line.trim() !== '') {
      // A marking applies to the block right below it (blank lines allowed in between).
      pending = undefined;
    }
  }
  return blocks;
}

/** A runnable block split into commands: comment lines are for the reader, `# => ` lines are expected output. */
export function commandsOf(block: Pick<FencedBlock, 'text' | 'line'>): ExampleCommand[] {
  const lines = block.text.split('\n');
  const commands: Array<{ text: string; line: number; expected: string[] }> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const expected = /^\s*# => ?(.*)$/.exec(line);
    if (expected) {
      const last = commands[commands.length - 1];
      if (!last) throw new Error(`README line ${block.line + i}: expected output before any command`);
      last.expected.push(expected[1] as string);
      continue;
    }
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const start = i;
    let text = line;
    while (text.endsWith('\\') && i + 1 < lines.length) text += `\n${lines[++i] as string}`;
    commands.push({ text, line: block.line + start, expected: [] });
  }
  return commands;
}

/** The runnable sections of a README, in order: the blocks marked `run` and `file NAME`, grouped by heading. */
export function exampleSections(markdown: string): ExampleSection[] {
  const sections = new Map<
    string,
    { heading: string; commands: ExampleCommand[]; files: Array<{ name: string; text: string }> }
  >();
  for (const block of fencedBlocks(markdown)) {
    const kind = block.marking?.kind;
    if (kind !== 'run' && kind !== 'file') continue;
    const section = sections.get(block.section) ?? { heading: block.section, commands: [], files: [] };
    sections.set(block.section, section);
    if (block.marking?.kind === 'file') section.files.push({ name: block.marking.name, text: `${block.text}\n` });
    else if (SHELL_LANGS.has(block.lang)) section.commands.push(...commandsOf(block));
    else
      throw new Error(
        `README line ${block.line}: only shell blocks can be marked run (a ${block.lang} block is a file)`,
      );
  }
  return [...sections.values()];
}

/** `...` in an expected line stands for any text; the rest is literal. */
function lineMatcher(expected: string): RegExp {
  const literal = expected.split('...').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`, 's');
}

/** Whether the expected lines appear, in order, each as a whole line of the output. */
export function printedAsExpected(output: string, expected: readonly string[]): boolean {
  const lines = output.split('\n').map((line) => line.replace(/\r$/, ''));
  let at = 0;
  for (const want of expected) {
    const matcher = lineMatcher(want);
    while (at < lines.length && !matcher.test(lines[at] as string)) at++;
    if (at === lines.length) return false;
    at++;
  }
  return true;
}

const RS = '\u001e';
const COMMAND_MARK = new RegExp(`${RS}readme-test:(\\d+|end)\\n`, 'g');
const STATUS_MARK = new RegExp(`${RS}readme-test-status:(\\d{3})`, 'g');

export interface CommandRun {
  readonly command: ExampleCommand;
  readonly ran: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** The HTTP status of each curl the command ran, in order (000: no answer). */
  readonly statuses: readonly number[];
}

export interface SectionRun {
  readonly exitCode: number | null;
  readonly completed: boolean;
  readonly timedOut: boolean;
  readonly commands: readonly CommandRun[];
}

export interface RunOptions {
  /** The environment of the bash process (nothing else is inherited). */
  readonly env: Record<string, string>;
  /** Where the section runs when it has no files (those run in a fresh folder with their files). */
  readonly cwd: string;
  /**
   * A line the section printed that a reader would act on (open an address in a browser): the
   * answer, if any, is what the reader then types (written to the section's stdin, and shown in its
   * output as a terminal echoes it).
   */
  readonly onPrinted?: (line: string) => Promise<string | undefined>;
  readonly timeoutMs: number;
}

/**
 * The bash script of a section: `set -euo pipefail`, curl made to report each status on stderr
 * (it changes nothing else of what curl does), and a marker before each command on both outputs
 * so that what each command printed can be told apart.
 */
export function sectionScript(section: ExampleSection): string {
  const marks = (id: string) => `printf '\\036readme-test:${id}\\n'; printf '\\036readme-test:${id}\\n' >&2`;
  return [
    'set -euo pipefail',
    `curl() { command curl -w $'%{stderr}\\036readme-test-status:%{http_code}\\n' "$@"; }`,
    ...section.commands.flatMap((command, index) => [marks(String(index)), command.text]),
    marks('end'),
    '',
  ].join('\n');
}

function splitByCommand(text: string): Map<string, string> {
  const parts = new Map<string, string>();
  let id: string | undefined;
  let from = 0;
  for (const match of text.matchAll(COMMAND_MARK)) {
    if (id !== undefined) parts.set(id, text.slice(from, match.index));
    id = match[1] as string;
    from = (match.index as number) + match[0].length;
  }
  if (id !== undefined) parts.set(id, text.slice(from));
  return parts;
}

/** Runs a section's commands in one bash process and reports what each printed. */
export async function runSection(section: ExampleSection, options: RunOptions): Promise<SectionRun> {
  const folder = section.files.length > 0 ? mkdtempSync(join(tmpdir(), 'readme-example-')) : undefined;
  for (const file of section.files) writeFileSync(join(folder as string, file.name), file.text);
  try {
    const child = spawn('bash', ['-c', sectionScript(section)], {
      cwd: folder ?? options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: a timeout ends everything the section started.
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let scanned = 0;
    const seen = new Set<string>();
    let answering = Promise.resolve();
    // Answers written after bash ended (a failed section) go nowhere.
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const end = stdout.lastIndexOf('\n');
      if (end < scanned) return;
      const lines = stdout.slice(scanned, end).split('\n');
      scanned = end + 1;
      for (const line of lines) {
        if (!options.onPrinted || seen.has(line)) continue;
        seen.add(line);
        const act = options.onPrinted;
        answering = answering
          .then(async () => {
            const answer = await act(line);
            if (answer === undefined) return;
            stdout += `${answer}\n`;
            child.stdin.write(`${answer}\n`);
          })
          .catch((error: Error) => {
            stderr += `\n(the browser step failed: ${error.message})\n`;
            // What the section waits for will not come: end of input, so that it stops now.
            child.stdin.end();
          });
      }
    });
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, options.timeoutMs);
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    clearTimeout(timer);
    await answering;
    const out = splitByCommand(stdout);
    const err = splitByCommand(stderr);
    return {
      exitCode,
      timedOut,
      completed: out.has('end'),
      commands: section.commands.map((command, index) => {
        const id = String(index);
        const commandErr = err.get(id) ?? '';
        return {
          command,
          ran: out.has(id),
          stdout: out.get(id) ?? '',
          stderr: commandErr.replace(STATUS_MARK, '').replace(/\n{2,}/g, '\n'),
          statuses: [...commandErr.matchAll(STATUS_MARK)].map((match) => Number(match[1])),
        };
      }),
    };
  } finally {
    if (folder) rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * What went wrong in a section's run, as sentences naming the README line: a command that failed
 * or never ran, output that is not what the README says, or an HTTP error nobody expected.
 */
export function problemsOf(run: SectionRun): string[] {
  const problems: string[] = [];
  for (const { command, ran, stdout, stderr, statuses } of run.commands) {
    const where = `README line ${command.line}: ${command.text.split('\n')[0]}`;
    if (!ran) continue;
    if (command.expected.length > 0) {
      if (!printedAsExpected(stdout, command.expected)) {
        problems.push(
          `${where}\n  expected:\n    ${command.expected.join('\n    ')}\n  printed:\n    ${stdout.trimEnd().split('\n').join('\n    ')}\n  stderr: ${stderr.trim()}`,
        );
      }
    } else {
      const failed = statuses.filter((status) => status >= 400 || status === 0);
      if (failed.length > 0)
        problems.push(
          `${where}\n  HTTP ${failed.join(', ')} (the README states no output for it)\n  printed: ${stdout.trim()}\n  stderr: ${stderr.trim()}`,
        );
    }
  }
  if (!run.completed) {
    const last = [...run.commands].reverse().find((command) => command.ran);
    problems.push(
      run.timedOut
        ? `timed out${last ? ` at README line ${last.command.line}: ${last.command.text.split('\n')[0]}` : ''}\n  stdout: ${last?.stdout.trim()}\n  stderr: ${last?.stderr.trim()}`
        : `bash exited with ${run.exitCode}${last ? ` at README line ${last.command.line}: ${last.command.text.split('\n')[0]}\n  stdout: ${last.stdout.trim()}\n  stderr: ${last.stderr.trim()}` : ''}`,
    );
  }
  return problems;
}
