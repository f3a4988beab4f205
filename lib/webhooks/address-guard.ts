/**
 * The SSRF guard for webhook targets. A subscriber chooses the URL, and the function that delivers runs
 * inside the cloud account: without this a webhook could read the instance metadata service, reach a
 * database on the private network or probe the loopback interface, and the attempt log (status, start of
 * the body) would hand the answers back. The rule is an allow list: a public unicast address is accepted,
 * everything ipaddr.js files under a special range is refused, and IPv6 forms that embed an IPv4 address
 * (IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64, 6to4) are judged by the address they embed.
 *
 * The URL check (`checkTargetUrl`) runs when a subscription is saved and before each attempt; the
 * address check runs again on every address the target's name resolves to, at connect time
 * (lib/webhooks/sender.ts), so a name that resolves elsewhere later (DNS rebinding) is caught too.
 */
import ipaddr from 'ipaddr.js';

/** The cloud metadata services (AWS IMDS over IPv4 and IPv6; the IPv4 one serves GCP and Azure too). */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254']);

const IPV4_REASONS: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address (0.0.0.0/8)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (169.254.0.0/16)',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private address (RFC 1918)',
  reserved: 'a reserved address',
  as112: 'a reserved address (AS112)',
  amt: 'a reserved address (AMT)',
};

const IPV6_REASONS: Readonly<Record<string, string>> = {
  unspecified: 'the unspecified address (::)',
  linkLocal: 'a link-local address (fe80::/10)',
  multicast: 'a multicast address',
  loopback: 'a loopback address',
  uniqueLocal: 'a unique-local address (fc00::/7)',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  discard: 'a discard-only address (100::/64)',
  teredo: 'a Teredo address (2001::/32)',
  benchmarking: 'a benchmarking address',
  reserved: 'a reserved address',
};

export interface GuardOptions {
  /** The local stage: loopback is allowed (developers run `npm run listen`), and http. */
  readonly local: boolean;
}

/** The IPv4 address an IPv6 one embeds, for the forms that carry one in their last 32 bits or after 2002:. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const parts = address.parts;
  const last32 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d (IPv4-translated)
      return last32(parts[6]!, parts[7]!);
    case 'rfc6052': // 64:ff9b::/96 (NAT64); the local-use 64:ff9b:1::/48 has no fixed place for it
      return parts[2] === 0 ? last32(parts[6]!, parts[7]!) : undefined;
    case '6to4': // 2002:aabb:ccdd::/48
      return last32(parts[1]!, parts[2]!);
    default:
      // IPv4-compatible ::a.b.c.d (deprecated, but some stacks still route it to IPv4): 96 zero bits first.
      return parts.slice(0, 6).every((part) => part === 0) ? last32(parts[6]!, parts[7]!) : undefined;
  }
}

function refusedIPv4(address: ipaddr.IPv4): string | undefined {
  if (METADATA.has(address.toString())) return 'a cloud metadata address';
  const range = address.range();
  return range === 'unicast' ? undefined : (IPV4_REASONS[range] ?? `a special-purpose address (${range})`);
}

function isLoopback(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (address.kind() === 'ipv4') return address.range() === 'loopback';
  const v6 = address as ipaddr.IPv6;
  if (v6.range() === 'loopback') return true;
  const inner = embeddedIPv4(v6);
  return inner !== undefined && inner.range() === 'loopback';
}

/**
 * Why a webhook must not connect to `ip` (a textual IPv4 or IPv6 address, as DNS answers it), or
 * undefined for a public unicast address. With `local`, loopback addresses are allowed as well.
 */
export function refusedAddress(ip: string, options: GuardOptions = { local: false }): string | undefined {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.parse(ip);
  } catch {
    return 'not an IP address';
  }
  if (options.local && isLoopback(address)) return undefined;
  if (address.kind() === 'ipv4') return refusedIPv4(address as ipaddr.IPv4);

  const v6 = address as ipaddr.IPv6;
  // Compare without a zone (fe80::1%eth0) so the metadata set matches however the address is scoped.
  const bare = new ipaddr.IPv6(v6.parts);
  if (METADATA.has(bare.toString())) return 'a cloud metadata address';
  const range = v6.range();
  if (range === 'unspecified' || range === 'loopback') return IPV6_REASONS[range];
  const inner = embeddedIPv4(v6);
  if (inner !== undefined) {
    const reason = refusedIPv4(inner);
    return reason === undefined
      ? undefined
      : `${reason}, in an IPv6 form (${range === 'unicast' ? 'IPv4-compatible' : range})`;
  }
  if (range === 'rfc6052') return 'a local-use NAT64 address (64:ff9b:1::/48)';
  if (range !== 'unicast') return IPV6_REASONS[range] ?? `a special-purpose address (${range})`;
  // Only 2000::/3 is allocated as global unicast; the rest of what ipaddr.js calls unicast is unassigned.
  return (bare.parts[0]! & 0xe000) === 0x2000 ? undefined : 'not a global unicast address (outside 2000::/3)';
}

/** The longest URL a subscription may hold. */
export const MAX_URL_LENGTH = 2048;

/**
 * Why `url` cannot be a webhook target, or undefined when it can. Outside the local stage: https only,
 * no user name or password (they would be sent on every delivery and are readable in the subscription),
 * no loopback, private, link-local or metadata IP literal, and no name that is loopback by definition
 * (`localhost`, `*.localhost`, RFC 6761) or that only a private resolver answers (a single label).
 * Any port is accepted: the danger is the address, and the address check refuses every non-public one,
 * while public receivers do listen on 8443 and the like. Names are checked again once resolved, at
 * delivery (lib/webhooks/sender.ts).
 */
export function checkTargetUrl(url: string, options: GuardOptions): string | undefined {
  if (url.length > MAX_URL_LENGTH) return `the URL is longer than ${MAX_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid absolute URL';
  }
  if (parsed.protocol !== 'https:' && !(options.local && parsed.protocol === 'http:')) {
    return options.local ? 'the URL must be http or https' : 'the URL must be https';
  }
  if (parsed.username !== '' || parsed.password !== '') return 'the URL must not contain a user name or password';

  // The WHATWG parser has already turned 2130706433, 0x7f.1 and the like into dotted IPv4.
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (ipaddr.isValid(host)) {
    const reason = refusedAddress(host, options);
    return reason === undefined ? undefined : `the host ${host} is ${reason}`;
  }
  if (options.local) return undefined;
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return `the host ${host} is a loopback name`;
  if (!name.includes('.')) return `the host ${host} is not a fully qualified domain name`;
  return undefined;
}
