#!/usr/bin/env node
// The FastCGI conversations of tests/valgrind/run.sh, on cordgate's unix
// socket: every way a request can arrive and leave a worker.
//
//   node client.mjs SOCKET normal|frozen|resumed
//
// normal: a request; three on one kept connection; a request beside a slow,
// an idle and a half-record connection; the slow one's 408; a 413 whose body
// is cut off, one whose body is drained, and a request after it on the same
// connection. frozen / resumed: four /healthz (503 expected / 200 expected).
// Prints each step and its status; exits 1 when one is not as expected.
import net from 'node:net';

const [sock, mode] = process.argv.slice(2);

function record(type, content = Buffer.alloc(0)) {
  const h = Buffer.from([1, type, 0, 1, content.length >> 8, content.length & 255, 0, 0]);
  return Buffer.concat([h, content]);
}
function pair(k, v) {
  return Buffer.concat([Buffer.from([k.length, v.length]), Buffer.from(k), Buffer.from(v)]);
}
function head(method, uri, length, keep) {
  const params = Buffer.concat([
    pair('REQUEST_METHOD', method), pair('REQUEST_URI', uri),
    pair('CONTENT_LENGTH', String(length)), pair('CONTENT_TYPE', 'application/json'),
  ]);
  return Buffer.concat([
    record(1, Buffer.from([0, 1, keep ? 1 : 0, 0, 0, 0, 0, 0])), record(4, params), record(4),
  ]);
}
function body(bytes) {
  const parts = [];
  for (let i = 0; i < bytes.length; i += 8000) parts.push(record(5, bytes.subarray(i, i + 8000)));
  parts.push(record(5));
  return Buffer.concat(parts);
}

// A connection whose answers are read as they come.
function connect() {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    c.data = Buffer.alloc(0);
    c.ended = false;
    c.waiters = [];
    const wake = () => c.waiters.splice(0).forEach((w) => w());
    c.on('data', (d) => { c.data = Buffer.concat([c.data, d]); wake(); });
    c.on('end', () => { c.ended = true; wake(); });
    c.on('error', () => { c.ended = true; wake(); });
    c.on('connect', () => resolve(c));
    c.once('error', reject);
  });
}
// The status of the next answer on c ("timeout", "closed"), within ms.
async function answer(c, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const i = c.data.indexOf(Buffer.from([1, 3, 0, 1]));
    if (i >= 0) {
      const text = c.data.subarray(0, i).toString('latin1');
      c.data = c.data.subarray(i + 16);
      const m = /Status: (\d{3})/.exec(text);
      return m ? m[1] : '200';
    }
    if (c.ended) return 'closed';
    const left = end - Date.now();
    if (left <= 0) return 'timeout';
    await new Promise((r) => { c.waiters.push(r); setTimeout(r, left); });
  }
}
async function request(method, uri, bytes = Buffer.alloc(0), keep = false, c = null) {
  c = c ?? (await connect());
  c.write(Buffer.concat([head(method, uri, bytes.length, keep), body(bytes)]));
  return [c, await answer(c, 10000)];
}

const results = [];
function expect(step, got, want) {
  results.push(`${step}: ${got}${got === want ? '' : ` (expected ${want})`}`);
  return got === want;
}
let ok = true;
if (mode === 'normal') {
  let [c, s] = await request('GET', '/healthz');
  ok &= expect('request', s, '200');
  c.destroy();
  const kept = await connect();
  for (let i = 0; i < 3; i++) {
    [, s] = await request('GET', '/no-such-route', undefined, true, kept);
    ok &= expect(`kept request ${i + 1}`, s, '404');
  }
  const slow = await connect();
  slow.write(Buffer.concat([head('PUT', '/v1/users/slow', 100, true), record(5, Buffer.from('{"na'))]));
  const idle = await connect();
  const half = await connect();
  half.write(Buffer.from([1, 1, 0]));
  [c, s] = await request('GET', '/healthz');
  ok &= expect('request beside waiting connections', s, '200');
  c.destroy();
  ok &= expect('slow request at the read deadline', await answer(slow, 5000), '408');
  ok &= expect('half record at the read deadline', await answer(half, 3000), 'closed');
  ok &= expect('idle connection at the read deadline', await answer(idle, 3000), 'closed');
  [c, s] = await request('PUT', '/v1/users/big', Buffer.alloc(100000, 'x'));
  ok &= expect('413, body cut off', s, '413');
  c.destroy();
  [c, s] = await request('PUT', '/v1/users/big', Buffer.alloc(3000, 'x'), true);
  ok &= expect('413, body drained', s, '413');
  [, s] = await request('GET', '/healthz', undefined, true, c);
  ok &= expect('request after it on its connection', s, '200');
  for (const x of [c, slow, idle, half, kept]) x.destroy();
} else {
  for (let i = 0; i < 4; i++) {
    const [c, s] = await request('GET', '/healthz');
    ok &= expect(`${mode} database, /healthz ${i + 1}`, s, mode === 'frozen' ? '503' : '200');
    c.destroy();
    await new Promise((r) => setTimeout(r, mode === 'frozen' ? 0 : 600));
  }
}
console.log(results.join('\n'));
process.exit(ok ? 0 : 1);
