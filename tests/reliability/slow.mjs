#!/usr/bin/env node
// Slow and idle clients against one front end (or cordgate's own FastCGI
// listener), while /healthz is probed, for tests/reliability/run.sh.
//
//   node slow.mjs --proto http|fcgi --target HOST:PORT --probe URL --out FILE
//                 [--slow 16] [--idle 64] [--half 0] [--body-bytes 100]
//                 [--read-timeout-ms 2000] [--grace-ms 2000]
//                 [--probes 20] [--probe-every-ms 150]
//                 [--probe-timeout-ms 1000] [--probe-max-ms 100]
//                 [--assert-slow 1] [--assert-idle 0]
//
// At the start, --idle connections to the target that send nothing (with
// --proto fcgi, --half of them send the first 4 bytes of a FastCGI record
// header and stop), and --slow clients that send a complete request head
// announcing a body of --body-bytes and then send that body one byte per
// second: with --proto http a `POST /v1/users` with Content-Length, with
// --proto fcgi a FastCGI BEGIN_REQUEST and PARAMS (CONTENT_LENGTH) followed
// by one-byte STDIN records. Half a second later --probes GET requests to
// --probe (each on a new connection) go out every --probe-every-ms, each
// abandoned after --probe-timeout-ms.
//
// Asserts, in the `failures` list of the JSON written to FILE:
//   - every probe answered 200 within --probe-max-ms;
//   - with --assert-slow 1: every slow client got an answer with a 4xx
//     status, or its connection closed, within --read-timeout-ms +
//     --grace-ms of connecting (not a hang, not a 5xx);
//   - with --assert-idle 1: the server closed every idle connection within
//     --read-timeout-ms + --grace-ms.
// Every connection is closed when the last deadline has passed.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const opts = {
  proto: 'http',
  slow: 16,
  idle: 64,
  half: 0,
  bodyBytes: 100,
  readTimeoutMs: 2000,
  graceMs: 2000,
  probes: 20,
  probeEveryMs: 150,
  probeTimeoutMs: 1000,
  probeMaxMs: 100,
  assertSlow: 1,
  assertIdle: 0,
};
const names = {
  '--proto': 'proto',
  '--target': 'target',
  '--probe': 'probe',
  '--out': 'out',
  '--slow': 'slow',
  '--idle': 'idle',
  '--half': 'half',
  '--body-bytes': 'bodyBytes',
  '--read-timeout-ms': 'readTimeoutMs',
  '--grace-ms': 'graceMs',
  '--probes': 'probes',
  '--probe-every-ms': 'probeEveryMs',
  '--probe-timeout-ms': 'probeTimeoutMs',
  '--probe-max-ms': 'probeMaxMs',
  '--assert-slow': 'assertSlow',
  '--assert-idle': 'assertIdle',
};
for (let i = 2; i < process.argv.length; i += 2) {
  const key = names[process.argv[i]];
  const v = process.argv[i + 1];
  if (!key || v === undefined) {
    process.stderr.write(`slow.mjs: bad argument ${process.argv[i]} (see the top of slow.mjs)\n`);
    process.exit(2);
  }
  opts[key] = ['proto', 'target', 'probe', 'out'].includes(key) ? v : Number(v);
}
if (!opts.target || !opts.probe || !opts.out || !['http', 'fcgi'].includes(opts.proto)) {
  process.stderr.write('slow.mjs: --proto http|fcgi, --target, --probe and --out are required\n');
  process.exit(2);
}
const [host, portText] = opts.target.split(':');
const port = Number(portText);
const limitMs = opts.readTimeoutMs + opts.graceMs;

// ------------------------------------------------------------- FastCGI

function fcgiRecord(type, content) {
  const pad = (8 - (content.length % 8)) % 8;
  const h = Buffer.alloc(8);
  h[0] = 1; // version
  h[1] = type;
  h.writeUInt16BE(1, 2); // request id
  h.writeUInt16BE(content.length, 4);
  h[6] = pad;
  return Buffer.concat([h, content, Buffer.alloc(pad)]);
}

function fcgiPair(name, value) {
  const len = (n) => {
    if (n < 128) return Buffer.from([n]);
    const b = Buffer.alloc(4);
    b.writeUInt32BE((n | 0x80000000) >>> 0);
    return b;
  };
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  return Buffer.concat([len(n.length), len(v.length), n, v]);
}

function fcgiHead(contentLength) {
  const begin = fcgiRecord(1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0])); // RESPONDER
  const params = {
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: 'POST',
    REQUEST_URI: '/v1/users',
    SCRIPT_NAME: '/v1/users',
    QUERY_STRING: '',
    CONTENT_TYPE: 'application/json',
    CONTENT_LENGTH: String(contentLength),
    REMOTE_ADDR: '127.0.0.1',
    SERVER_NAME: 'localhost',
  };
  const pairs = Buffer.concat(Object.entries(params).map(([k, v]) => fcgiPair(k, v)));
  return Buffer.concat([begin, fcgiRecord(4, pairs), fcgiRecord(4, Buffer.alloc(0))]);
}

// The HTTP status of what a FastCGI application wrote so far: its Status
// header, 200 once STDOUT has headers without one, else null.
function fcgiStatus(bytes) {
  let stdout = Buffer.alloc(0);
  let off = 0;
  while (off + 8 <= bytes.length) {
    const type = bytes[off + 1];
    const clen = bytes.readUInt16BE(off + 4);
    const pad = bytes[off + 6];
    if (off + 8 + clen > bytes.length) break;
    if (type === 6) stdout = Buffer.concat([stdout, bytes.subarray(off + 8, off + 8 + clen)]);
    off += 8 + clen + pad;
  }
  const text = stdout.toString('latin1');
  const m = text.match(/^Status:\s*(\d{3})/im);
  if (m) return Number(m[1]);
  return /\r?\n\r?\n/.test(text) ? 200 : null;
}

// ------------------------------------------------------------- probes

function probe() {
  return new Promise((resolve) => {
    const start = performance.now();
    let done = false;
    const finish = (status, err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ status, ms: Math.round((performance.now() - start) * 10) / 10, err });
    };
    const req = http.get(opts.probe, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode));
      res.on('error', (e) => finish(0, e.code ?? e.message));
    });
    req.on('error', (e) => finish(0, e.code ?? e.message));
    const timer = setTimeout(() => {
      finish(-1, 'no answer');
      req.destroy();
    }, opts.probeTimeoutMs);
  });
}

// ------------------------------------------------------------- clients

// One probe first, not counted: the client's own first request (loading and
// compiling its code) is not the server's latency.
await probe();
const t0 = Date.now();
const conns = [];

function open(kind) {
  const c = { kind, connectMs: null, answerMs: null, closeMs: null, status: null, err: null, sent: 0 };
  const data = [];
  const sock = net.connect({ host, port });
  c.sock = sock;
  let timer;
  sock.on('connect', () => {
    c.connectMs = Date.now() - t0;
    if (kind === 'half') {
      sock.write(fcgiRecord(1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0])).subarray(0, 4));
    } else if (kind === 'slow') {
      const body = Buffer.alloc(opts.bodyBytes, 0x20);
      Buffer.from('{"id":"slow","email":"slow@reliability.example"}').copy(body);
      if (opts.proto === 'http') {
        sock.write(
          `POST /v1/users HTTP/1.1\r\nHost: ${opts.target}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
      } else {
        sock.write(fcgiHead(body.length));
      }
      const dribble = () => {
        if (c.sent >= body.length || sock.destroyed) return;
        const b = body.subarray(c.sent, c.sent + 1);
        sock.write(opts.proto === 'http' ? b : fcgiRecord(5, b));
        c.sent++;
        // FastCGI: an empty STDIN record ends the body.
        if (c.sent === body.length && opts.proto === 'fcgi') sock.write(fcgiRecord(5, Buffer.alloc(0)));
        timer = setTimeout(dribble, 1000);
      };
      timer = setTimeout(dribble, 1000);
    }
  });
  sock.on('data', (chunk) => {
    data.push(chunk);
    if (c.status !== null) return;
    const bytes = Buffer.concat(data);
    let status = null;
    if (opts.proto === 'http') {
      const m = bytes.toString('latin1').match(/^HTTP\/1\.[01] (\d{3})/);
      if (m) status = Number(m[1]);
    } else {
      status = fcgiStatus(bytes);
    }
    if (status !== null) {
      c.status = status;
      c.answerMs = Date.now() - t0 - (c.connectMs ?? 0);
    }
  });
  sock.on('error', (e) => {
    c.err = e.code ?? e.message;
  });
  sock.on('close', () => {
    clearTimeout(timer);
    if (c.closeMs === null) c.closeMs = Date.now() - t0 - (c.connectMs ?? 0);
  });
  conns.push(c);
}

for (let i = 0; i < opts.idle; i++) open(i < opts.half ? 'half' : 'idle');
for (let i = 0; i < opts.slow; i++) open('slow');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(500);
const pending = [];
for (let i = 0; i < opts.probes; i++) {
  pending.push(probe());
  await sleep(opts.probeEveryMs);
}
const probes = await Promise.all(pending);

// Wait for the last deadline of the clients, then close what is left.
const lastDeadline = Math.max(...conns.map((c) => (c.connectMs ?? 0) + limitMs), 0) + 100;
const left = lastDeadline - (Date.now() - t0);
if (left > 0) await sleep(left);
const verdictAt = Date.now() - t0;
for (const c of conns) {
  c.openAtVerdict = c.closeMs === null;
  c.sock.destroy();
}

// ------------------------------------------------------------- verdict

const failures = [];
const lat = probes.filter((p) => p.status > 0).map((p) => p.ms);
const probeMax = probes.some((p) => p.status <= 0) ? null : Math.max(...lat);
const badProbes = probes.filter((p) => p.status !== 200 || p.ms > opts.probeMaxMs);
if (badProbes.length) {
  const hung = probes.filter((p) => p.status === -1).length;
  failures.push(
    `${badProbes.length} of ${probes.length} /healthz probes were not a 200 within ${opts.probeMaxMs} ms` +
      ` (${hung} unanswered after ${opts.probeTimeoutMs} ms; answered ones: max ` +
      `${lat.length ? Math.max(...lat) : '-'} ms; statuses ${[...new Set(probes.map((p) => p.status))].join(',')})`,
  );
}
const refused = conns.filter((c) => c.connectMs === null);
if (refused.length) {
  failures.push(`${refused.length} client connections did not connect (${refused[0].err})`);
}

// What happened to a connection by its deadline.
function outcome(c) {
  if (c.status !== null && c.answerMs <= limitMs) return c.status >= 400 && c.status < 500 ? 'answered 4xx' : `answered ${c.status}`;
  if (c.closeMs !== null && c.closeMs <= limitMs) return 'closed';
  return c.kind === 'slow' ? 'no answer' : 'open';
}
const slow = conns.filter((c) => c.kind === 'slow');
const idle = conns.filter((c) => c.kind !== 'slow');
const tally = (list) => list.reduce((t, c) => ((t[outcome(c)] = (t[outcome(c)] ?? 0) + 1), t), {});
const slowTally = tally(slow);
const idleTally = tally(idle);
const endMs = (c) => (c.status !== null ? c.answerMs : c.closeMs);
const slowDone = slow.map(endMs).filter((v) => v !== null);
if (opts.assertSlow) {
  const bad = slow.filter((c) => !['answered 4xx', 'closed'].includes(outcome(c)));
  if (bad.length) {
    failures.push(
      `${bad.length} of ${slow.length} slow clients got neither a 4xx nor a closed connection within ` +
        `${limitMs} ms (${JSON.stringify(slowTally)}; ${bad[0].sent} body bytes sent by the first)`,
    );
  }
}
if (opts.assertIdle) {
  const bad = idle.filter((c) => outcome(c) === 'open');
  if (bad.length) {
    failures.push(`${bad.length} of ${idle.length} idle connections were still open after ${limitMs} ms`);
  }
}

const result = {
  proto: opts.proto,
  target: opts.target,
  probes: {
    n: probes.length,
    ok: probes.filter((p) => p.status === 200).length,
    unanswered: probes.filter((p) => p.status === -1).length,
    max_ms: probeMax,
    ms: probes.map((p) => (p.status === -1 ? null : p.ms)),
  },
  slow: { n: slow.length, outcomes: slowTally, max_ms: slowDone.length ? Math.max(...slowDone) : null },
  idle: { n: idle.length, outcomes: idleTally },
  limit_ms: limitMs,
  verdict_at_ms: verdictAt,
  failures,
};
fs.writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `${opts.proto} ${opts.target}: probes max ${probeMax ?? `>${opts.probeTimeoutMs}`} ms ` +
    `(${result.probes.ok}/${probes.length} 200); slow ${JSON.stringify(slowTally)}; ` +
    `idle ${JSON.stringify(idleTally)}${failures.length ? `; ${failures.length} assertions failed` : ''}\n`,
);
process.exit(0);
