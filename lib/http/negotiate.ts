/** Accept negotiation: JSON (the default) or XML, with RFC 9110 q-values. */

export type Format = 'json' | 'xml';

export interface Negotiated {
  readonly format: Format;
  readonly contentType: string;
}

export const JSON_TYPE: Negotiated = { format: 'json', contentType: 'application/json; charset=utf-8' };

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [rawType = '', ...params] = part.split(';');
    const [type = '', subtype = ''] = rawType.trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    const qParam = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    ranges.push({ type, subtype, q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 });
  }
  return ranges;
}

/**
 * RFC 9110 §12.5.1: a media type takes the q of the most specific range that matches it.
 * `minSpecificity` 1 ignores `* /*` (used for text/xml, which we answer only when it is named).
 */
function qualityOf(mediaType: string, ranges: readonly MediaRange[], minSpecificity = 0): number {
  const [type, subtype] = mediaType.split('/');
  let best: { specificity: number; q: number } | undefined;
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype
        ? 2
        : range.type === type && range.subtype === '*'
          ? 1
          : range.type === '*' && range.subtype === '*'
            ? 0
            : -1;
    if (
      specificity >= minSpecificity &&
      (!best || specificity > best.specificity || (specificity === best.specificity && range.q > best.q))
    ) {
      best = { specificity, q: range.q };
    }
  }
  return best?.q ?? 0;
}

/**
 * Picks JSON or XML from Accept with RFC 9110 q-values. XML when application/xml or text/xml is
 * preferred over JSON; JSON otherwise, including no Accept, `* /*`, ties, and Accept values that
 * allow neither (the original answered JSON to those too, rather than 406).
 */
export function negotiate(accept: string | undefined): Negotiated {
  if (!accept) return JSON_TYPE;
  const ranges = parseAccept(accept);
  const json = qualityOf('application/json', ranges);
  const applicationXml = { type: 'application/xml', q: qualityOf('application/xml', ranges) };
  const textXml = { type: 'text/xml', q: qualityOf('text/xml', ranges, 1) };
  const xml = textXml.q > applicationXml.q ? textXml : applicationXml;
  if (xml.q > 0 && xml.q > json) return { format: 'xml', contentType: `${xml.type}; charset=utf-8` };
  return JSON_TYPE;
}
