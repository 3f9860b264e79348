/**
 * This machine's loopback names as a URL's hostname (or a Host header without its port) gives them: where plain
 * http, a development-only route or a test's fake stays on the machine.
 */
const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTNAMES.has(hostname.toLowerCase());
}
