/** Content-Type values: the media type alone, as every body parser and the authorizer compare it. */

/** The media type of a Content-Type value, lower-case and without its parameters ('' when absent). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
