'use strict';
// Expands "dns:[//authority/]host:port" targets into one target per address ("ipv4:a.b.c.d:port",
// "ipv6:[addr]:port"), sorted and de-duplicated, like client/resolve.cc, so rendezvous hashing
// routes each key to one proposer behind the name (e.g. a Kubernetes headless Service). A name
// that does not resolve stays as one target (gRPC keeps resolving it). Duplicates are dropped.

const dns = require('node:dns').promises;

/** {host, port} of a dns: target, or null when `target` is not of that form. */
function parseDnsTarget(target) {
  if (!target.startsWith('dns:')) return null;
  let rest = target.slice(4);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    if (slash < 0) return null;
    rest = rest.slice(slash + 1);
  }
  const colon = rest.lastIndexOf(':');
  if (colon <= 0 || colon + 1 === rest.length) return null;
  let host = rest.slice(0, colon);
  if (host.length >= 2 && host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: rest.slice(colon + 1) };
}

/** The system resolver: every address of `host`, as gRPC target URIs. */
async function lookupAll(host, port) {
  const found = await dns.lookup(host, { all: true });
  const out = found.map((a) => (a.family === 6 ? `ipv6:[${a.address}]:${port}` : `ipv4:${a.address}:${port}`));
  return [...new Set(out)].sort();
}

/**
 * @param {string[]} targets
 * @param {(host: string, port: string) => Promise<string[]>} [resolve]
 * @returns {Promise<string[]>}
 */
async function expandDnsTargets(targets, resolve = lookupAll) {
  const out = [];
  const add = (t) => { if (!out.includes(t)) out.push(t); };
  for (const target of targets) {
    const parsed = parseDnsTarget(target);
    let addresses = [];
    if (parsed) {
      try { addresses = await resolve(parsed.host, parsed.port); } catch { addresses = []; }
    }
    if (addresses.length === 0) add(target);
    else addresses.forEach(add);
  }
  return out;
}

module.exports = { parseDnsTarget, expandDnsTargets, lookupAll };
