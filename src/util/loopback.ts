/** Whether a configured listener host is a loopback address (reachable from this host only). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
}
