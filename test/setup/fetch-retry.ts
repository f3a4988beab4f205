/**
 * fetch against the served API, sent again once when the connection it reused was closed by the
 * server before answering ("other side closed"): Node's fetch keeps connections alive, and
 * serverless-offline closes idle ones on its own schedule, so a request can land on a socket that is
 * already going away. Such a request never reached the API (browsers resend it the same way); any
 * other failure is left as it is.
 */
const originalFetch = globalThis.fetch;

function closedBeforeAnswer(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return error instanceof TypeError && (cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET') && /other side closed|ECONNRESET/.test(`${cause?.message} ${cause?.code}`);
}

globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
  try {
    return await originalFetch(input, init);
  } catch (error) {
    if (!closedBeforeAnswer(error)) throw error;
    return originalFetch(input, init);
  }
};
