/** The SSRF guard: which addresses and URLs a webhook may target, on a deployed stage and locally. */
import { checkTargetUrl, refusedAddress, MAX_URL_LENGTH } from '../../../lib/webhooks/address-guard';

const deployed = { local: false };
const local = { local: true };

describe('refusedAddress', () => {
  it.each([
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['93.184.215.14'],
    ['100.63.255.255'], // just below CGNAT
    ['100.128.0.0'], // just above CGNAT
    ['172.32.0.1'], // just above 172.16/12
    ['2606:4700:4700::1111'],
    ['2a00:1450:4001:80b::200e'],
    ['::ffff:8.8.8.8'], // IPv4-mapped form of a public address
    ['64:ff9b::808:808'], // NAT64 form of 8.8.8.8
    ['2002:808:808::1'], // 6to4 around 8.8.8.8
  ])('accepts the public address %s', (ip) => {
    expect(refusedAddress(ip)).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['10.0.0.1', 'a private address (RFC 1918)'],
    ['172.16.0.1', 'a private address (RFC 1918)'],
    ['172.31.255.255', 'a private address (RFC 1918)'],
    ['192.168.1.1', 'a private address (RFC 1918)'],
    ['100.64.0.1', 'a carrier-grade NAT address (100.64.0.0/10)'],
    ['100.100.100.200', 'a carrier-grade NAT address (100.64.0.0/10)'],
    ['169.254.0.1', 'a link-local address (169.254.0.0/16)'],
    ['169.254.169.254', 'a cloud metadata address'],
    ['169.254.170.2', 'a link-local address (169.254.0.0/16)'],
    ['0.0.0.0', 'an unspecified address (0.0.0.0/8)'],
    ['0.1.2.3', 'an unspecified address (0.0.0.0/8)'],
    ['255.255.255.255', 'the broadcast address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.250', 'a multicast address'],
    ['240.0.0.1', 'a reserved address'],
    ['192.0.2.1', 'a reserved address'],
    ['198.18.0.1', 'a reserved address'],
    ['192.0.0.192', 'a reserved address'],
  ])('refuses the IPv4 address %s: %s', (ip, reason) => {
    expect(refusedAddress(ip)).toBe(reason);
  });

  it.each([
    ['::1', 'a loopback address'],
    ['::', 'the unspecified address (::)'],
    ['fe80::1', 'a link-local address (fe80::/10)'],
    ['fe80::1%eth0', 'a link-local address (fe80::/10)'],
    ['febf::1', 'a link-local address (fe80::/10)'],
    ['fc00::1', 'a unique-local address (fc00::/7)'],
    ['fd12:3456:789a::1', 'a unique-local address (fc00::/7)'],
    ['fd00:ec2::254', 'a cloud metadata address'],
    ['ff02::1', 'a multicast address'],
    ['fec0::1', 'a site-local address (fec0::/10)'],
    ['2001:db8::1', 'a reserved address'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'a Teredo address (2001::/32)'],
    ['100::1', 'a discard-only address (100::/64)'],
    ['64:ff9b:1::a00:1', 'a local-use NAT64 address (64:ff9b:1::/48)'],
    ['4000::1', 'not a global unicast address (outside 2000::/3)'],
  ])('refuses the IPv6 address %s: %s', (ip, reason) => {
    expect(refusedAddress(ip)).toBe(reason);
  });

  it.each([
    ['::ffff:127.0.0.1', 'a loopback address, in an IPv6 form (ipv4Mapped)'],
    ['::ffff:7f00:1', 'a loopback address, in an IPv6 form (ipv4Mapped)'],
    ['::ffff:10.1.2.3', 'a private address (RFC 1918), in an IPv6 form (ipv4Mapped)'],
    ['::ffff:169.254.169.254', 'a cloud metadata address, in an IPv6 form (ipv4Mapped)'],
    ['::ffff:0:192.168.0.1', 'a private address (RFC 1918), in an IPv6 form (rfc6145)'],
    // ipaddr.js reads the dotted ::127.0.0.1 as IPv4-mapped; the hex form is how resolvers print IPv4-compatible.
    ['::127.0.0.1', 'a loopback address, in an IPv6 form (ipv4Mapped)'],
    ['::7f00:1', 'a loopback address, in an IPv6 form (IPv4-compatible)'],
    ['::a9fe:a9fe', 'a cloud metadata address, in an IPv6 form (IPv4-compatible)'],
    ['64:ff9b::10.0.0.1', 'a private address (RFC 1918), in an IPv6 form (rfc6052)'],
    ['64:ff9b::169.254.169.254', 'a cloud metadata address, in an IPv6 form (rfc6052)'],
    ['2002:7f00:1::1', 'a loopback address, in an IPv6 form (6to4)'],
    ['2002:c0a8:101::1', 'a private address (RFC 1918), in an IPv6 form (6to4)'],
    ['::ffff:100.64.0.1', 'a carrier-grade NAT address (100.64.0.0/10), in an IPv6 form (ipv4Mapped)'],
    ['::ffff:0.0.0.0', 'an unspecified address (0.0.0.0/8), in an IPv6 form (ipv4Mapped)'],
  ])('judges %s by the IPv4 address it embeds: %s', (ip, reason) => {
    expect(refusedAddress(ip)).toBe(reason);
  });

  it.each(['localhost', '', 'not-an-ip', '::g', '1.2.3.4.5'])('refuses %p, which is not an IP address', (text) => {
    expect(refusedAddress(text)).toBe('not an IP address');
  });

  it('allows loopback, and only loopback, on the local stage', () => {
    expect(refusedAddress('127.0.0.1', local)).toBeUndefined();
    expect(refusedAddress('::1', local)).toBeUndefined();
    expect(refusedAddress('::ffff:127.0.0.1', local)).toBeUndefined();
    expect(refusedAddress('10.0.0.1', local)).toBe('a private address (RFC 1918)');
    expect(refusedAddress('169.254.169.254', local)).toBe('a cloud metadata address');
    expect(refusedAddress('fd00:ec2::254', local)).toBe('a cloud metadata address');
  });
});

describe('checkTargetUrl', () => {
  it.each([
    'https://hooks.example.com/odoo',
    'https://hooks.example.com:8443/odoo?tenant=4',
    'https://8.8.8.8/hook',
    'https://[2606:4700:4700::1111]/hook',
    'https://hooks.example.com./trailing-dot',
  ])('accepts %s on a deployed stage', (url) => {
    expect(checkTargetUrl(url, deployed)).toBeUndefined();
  });

  it.each([
    ['http://hooks.example.com/odoo', 'the URL must be https'],
    ['ftp://hooks.example.com/odoo', 'the URL must be https'],
    ['hooks.example.com/odoo', 'not a valid absolute URL'],
    ['https://user:pass@hooks.example.com/', 'the URL must not contain a user name or password'],
    ['https://token@hooks.example.com/', 'the URL must not contain a user name or password'],
    ['https://127.0.0.1/hook', 'the host 127.0.0.1 is a loopback address'],
    ['https://2130706433/hook', 'the host 127.0.0.1 is a loopback address'],
    ['https://0x7f.1/hook', 'the host 127.0.0.1 is a loopback address'],
    ['https://[::1]:8443/hook', 'the host ::1 is a loopback address'],
    [
      'https://[::ffff:169.254.169.254]/',
      'the host ::ffff:a9fe:a9fe is a cloud metadata address, in an IPv6 form (ipv4Mapped)',
    ],
    ['https://169.254.169.254/latest/meta-data/', 'the host 169.254.169.254 is a cloud metadata address'],
    ['https://10.1.2.3/', 'the host 10.1.2.3 is a private address (RFC 1918)'],
    ['https://localhost/hook', 'the host localhost is a loopback name'],
    ['https://api.localhost/hook', 'the host api.localhost is a loopback name'],
    ['https://intranet/hook', 'the host intranet is not a fully qualified domain name'],
    [`https://hooks.example.com/${'a'.repeat(MAX_URL_LENGTH)}`, `the URL is longer than ${MAX_URL_LENGTH} characters`],
  ])('refuses %s on a deployed stage: %s', (url, reason) => {
    expect(checkTargetUrl(url, deployed)).toBe(reason);
  });

  it.each([
    'http://localhost:4000/',
    'http://127.0.0.1:4000/hook',
    'http://[::1]:4000/',
    'https://hooks.example.com/',
    'http://receiver/',
  ])('accepts %s on the local stage', (url) => {
    expect(checkTargetUrl(url, local)).toBeUndefined();
  });

  it.each([
    ['ftp://localhost/', 'the URL must be http or https'],
    ['http://192.168.1.20:4000/', 'the host 192.168.1.20 is a private address (RFC 1918)'],
    ['http://169.254.169.254/', 'the host 169.254.169.254 is a cloud metadata address'],
    ['http://me:secret@localhost:4000/', 'the URL must not contain a user name or password'],
  ])('still refuses %s on the local stage: %s', (url, reason) => {
    expect(checkTargetUrl(url, local)).toBe(reason);
  });
});
