/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10): `RateLimit-Policy`
 * lists the plan's limits (`"day";q=1000;w=86400`), `RateLimit` what is left of each now
 * (`"day";r=250;t=3600`). Both are Structured Field lists (RFC 9651) of strings with parameters.
 * Written by hand: a few fixed shapes, no library needed for them.
 */
import type { Limit } from './windows';

/** A limit and how much of it is used now. */
export interface LimitState {
  readonly limit: Limit;
  readonly used: number;
}

const item = (name: string, params: readonly (readonly [string, number])[]) =>
  `"${name}"${params.map(([key, value]) => `;${key}=${value}`).join('')}`;

export function rateLimitPolicyHeader(limits: readonly Limit[]): string {
  return limits
    .map((limit) =>
      item(limit.policy, [
        ['q', limit.quota],
        ['w', limit.windowSeconds],
      ]),
    )
    .join(', ');
}

/** `RateLimit`: per limit, the units left (never below 0) and the seconds until it resets (at least 1). */
export function rateLimitHeader(states: readonly LimitState[], nowSeconds: number): string {
  return states
    .map(({ limit, used }) =>
      item(limit.policy, [
        ['r', Math.max(0, limit.quota - used)],
        ['t', Math.max(1, Math.ceil(limit.resetsAt - nowSeconds))],
      ]),
    )
    .join(', ');
}

/** Both fields for a plan's limits, as an answer's headers; none for an unlimited client. */
export function rateLimitHeaders(states: readonly LimitState[], nowSeconds: number): Record<string, string> {
  if (states.length === 0) return {};
  return {
    'RateLimit-Policy': rateLimitPolicyHeader(states.map(({ limit }) => limit)),
    RateLimit: rateLimitHeader(states, nowSeconds),
  };
}
