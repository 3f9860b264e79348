import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** The addresses a host name resolves to (node's resolver by default; a test's own in the dispatcher's tests). */
export type ResolveHost = (host: string) => Promise<{ address: string; family: number }[]>;
export const resolveWithDns: ResolveHost = (host) => lookup(host, { all: true, verbatim: true });

export const INTERNAL_HOST_MESSAGE = 'must not be a private, loopback, link-local or internal address';

/**
 * Whether an address is anything but a public unicast one: private, loopback, link-local (the cloud metadata
 * service, 169.254.169.254), CGNAT, benchmarking, unspecified, multicast, reserved, IPv6 unique-local
 * (fd00:ec2::254) and site-local, and the IPv6 forms that carry an IPv4 address (NAT64, local-use NAT64, 6to4,
 * Teredo). An IPv4-mapped IPv6 address is judged as the IPv4
 * address it is; what does not parse counts as internal.
 */
export function isInternalAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const parsed = ipaddr.process(address);
  if (parsed.range() !== 'unicast') return true;
  if (parsed.kind() === 'ipv4') return ALSO_REFUSED_V4.some((range) => (parsed as ipaddr.IPv4).match(range));
  return ALSO_REFUSED_V6.some((range) => (parsed as ipaddr.IPv6).match(range));
}

/**
 * Ranges ipaddr.js counts as unicast that are not the public internet: benchmarking (198.18.0.0/15, RFC 2544),
 * IPv6 site-local (fec0::/10, deprecated but still routed inside some networks) and local-use NAT64
 * (64:ff9b:1::/48, RFC 8215, which reaches the operator's own IPv4 hosts).
 */
const ALSO_REFUSED_V4 = ['198.18.0.0/15'].map((cidr) => ipaddr.IPv4.parseCIDR(cidr));
const ALSO_REFUSED_V6 = ['fec0::/10', '64:ff9b:1::/48'].map((cidr) => ipaddr.IPv6.parseCIDR(cidr));

/** A URL's host as written, without the brackets of an IPv6 literal. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * What can be refused when a URL is given (production): an address literal that is internal, or a name that is
 * loopback by definition (RFC 6761's localhost). Any other name is judged when sent, after it is resolved.
 */
export function isInternalHost(host: string): boolean {
  if (ipaddr.isValid(host)) return isInternalAddress(host);
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}
