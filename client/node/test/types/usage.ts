// Compiled with `tsc --noEmit` (ctest node_client_typescript_declarations_typecheck): the
// declarations in index.d.ts describe a typical use, and misuse is a compile error.
import { Client, GryadkaError, createRawStub, status, hash64 } from 'gryadka';

async function main(): Promise<void> {
  const client = new Client({ targets: ['127.0.0.1:8080', 'dns:///proposers:8080'], defaultDeadlineMs: 2000,
    tls: { caFile: 'ca.pem', serverName: 'gryadka' } });
  const put = await client.put('greeting', 'hello');
  const version: bigint = put.record.version;
  const cas = await client.compareAndSet('greeting', version, Buffer.from('hi'), { deadlineMs: 500 });
  if (!cas.applied) console.log(cas.declineReason, cas.record.value.toString());
  const n: bigint = (await client.increment('counter', 1n)).value;
  await client.delete('greeting', { expectedVersion: cas.record.version });
  const got = await client.get('greeting');
  const found: boolean = got.found;
  const ready: boolean = (await client.health()).every((h) => h.status === 'SERVING');
  const cq = await client.changeQuery('k', { compareAndSet: { expectedVersion: 0n, value: 'v' } }, 'version');
  const v: bigint | undefined = cq.version;
  try {
    await client.putIfAbsent('k', 'v');
  } catch (e) {
    if (e instanceof GryadkaError && e.code === status.UNAVAILABLE) console.log(e.codeName, e.target);
  }
  // @ts-expect-error camelCase/snake_case mix-ups and raw objects do not type-check
  await client.delete('k', { expected_version: 3n });
  // @ts-expect-error a change has exactly the documented ops
  await client.changeQuery('k', { putIfAbsentt: 'v' });
  const stub = createRawStub('127.0.0.1:8080');
  stub.Delete({ key: 'k', expected_version: '3' }, (error, response) => {
    if (!error && response) console.log(response.applied, response.record.version);
  });
  // @ts-expect-error the raw stub takes kv.proto's snake_case names
  stub.Delete({ key: 'k', expectedVersion: '3' }, () => {});
  stub.close();
  console.log(n, found, ready, v, hash64('k', 0n));
  client.close();
}

void main;
