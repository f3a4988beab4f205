/**
 * Structured logs: one JSON object per line, with the request id when there is one.
 * Callers pass only what is safe to keep: never a token, a secret, a signature or a header value.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/**
 * An error as log fields: its stable code (or its name: class names are minified in the bundles,
 * SDK error names are not), message, the top of its stack, and its cause's; never the raw object.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const label = (e: Error & { code?: unknown }) => (typeof e.code === 'string' ? e.code : e.name);
  const cause = error.cause instanceof Error ? { cause: `${label(error.cause)}: ${error.cause.message}` } : {};
  return {
    error: `${label(error)}: ${error.message}`,
    stack: error.stack?.split('\n').slice(1, 6).join('\n'),
    ...cause,
  };
}

export function createLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const emit = (level: Level, message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ level, time: new Date().toISOString(), message, ...base, ...fields }));
  return {
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger({ ...base, ...fields }, write),
  };
}
