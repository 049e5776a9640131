// Quickstart: node examples/quickstart.mjs [target ...]   (default 127.0.0.1:8080, e.g. from
// deploy/local/up.sh). Puts, reads, compare-and-sets with a conflict, increments and deletes.
import gryadka from 'gryadka';

const { Client, GryadkaError } = gryadka;
const targets = process.argv.length > 2 ? process.argv.slice(2) : ['127.0.0.1:8080'];
const client = new Client({ targets, defaultDeadlineMs: 3000 });

try {
  const put = await client.put('greeting', 'hello');
  console.log(`put       ${put.record.value} version ${put.record.version}`);

  const got = await client.get('greeting');
  console.log('get      ', got.found, got.record.value.toString());

  const cas = await client.compareAndSet('greeting', put.record.version, 'hi');
  const stale = await client.compareAndSet('greeting', put.record.version, 'too late');
  console.log('cas      ', cas.applied, '| with the stale version:', stale.applied,
    `(current: ${stale.record.value} v${stale.record.version})`);

  const counter = await client.increment('visits', 1n);
  console.log(`increment ${counter.value}`);

  const del = await client.delete('greeting', { expectedVersion: cas.record.version });
  console.log(`delete    ${del.applied} version now ${del.record.version}`);
} catch (error) {
  if (!(error instanceof GryadkaError)) throw error;
  console.error(`gryadka error ${error.codeName}: ${error.details}`);
  process.exitCode = 1;
} finally {
  client.close();
}
