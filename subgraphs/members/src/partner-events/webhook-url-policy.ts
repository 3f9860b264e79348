import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** The addresses a host name resolves to (node's resolver by default; a test's own in the dispatcher's tests). */
export type ResolveHost = (host: string) => Promise<{ address: string; family: number }[]>;
export const resolveWithDns: ResolveHost = (host) => lookup(host, { all: true, verbatim: true });

export const INTERNAL_HOST_MESSAGE = 'must not be a private, loopback, link-local or internal address';

/**
 * Whether an address is anything but a public unicast one: private, loopback, link-local (the cloud metadata
 * service, 169.254.169.254), CGNAT, unspecified, multicast, reserved, IPv6 unique-local (fd00:ec2::254) and the
 * IPv6 forms that carry an IPv4 address (NAT64, 6to4, Teredo). An IPv4-mapped IPv6 address is judged as the IPv4
 * address it is; what does not parse counts as internal.
 */
export function isInternalAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  return ipaddr.process(address).range() !== 'unicast';
}

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
