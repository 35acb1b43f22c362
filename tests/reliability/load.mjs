#!/usr/bin/env node
// A closed-loop load on cordgate through a web server, for
// tests/reliability/run.sh: CONNECTIONS loops, each on its own kept-alive
// connection, for SECONDS, mixing database writes and reads, and a record
// of every request. No npm packages: node:http and node:crypto only.
//
//   node load.mjs --url URL --app-id ID --app-secret SECRET --out DIR
//                 [--connections 64] [--seconds 20] [--timeout 10]
//                 [--prefix ID_PREFIX] [--marks FILE --judge outage|kill]
//                 [--deadline-ms 3000] [--recovery-ms 2000]
//
// The mix, by loop iteration: 40 % PUT /v1/users/<a new id> (a write, with a
// server auth token), 25 % GET /v1/users/<an id this loop wrote>, 20 % POST
// /v1/authorize (a signed app token; writes a session), 15 % GET /healthz.
// Every one of them needs PostgreSQL. A request unanswered after --timeout
// seconds is abandoned and counted as a hang.
//
// Writes into DIR:
//   events.ndjson  one line per request: {t (epoch ms at its start), op,
//                  ms (latency), status (0: connection error, -1: hang),
//                  cord (the body is a JSON {"error","message"}), id, err}
//   acked.ndjson   one line per acknowledged (2xx) write: {id, email, t}
//   summary.json   counts and latencies per operation, and with --judge the
//                  verdict: figures plus `failures`, one text per assertion
//                  that failed (empty: all held)
//
// --marks FILE holds lines "NAME EPOCH_MS" written while the load ran:
// `down` and `up` (the database stopped or frozen, and back) for --judge
// outage, `kill` (a worker SIGKILLed) for --judge kill. See judgeOutage and
// judgeKill for what each asserts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

// ------------------------------------------------------------- options

function parseArgs(argv) {
  const opts = {
    connections: 64,
    seconds: 20,
    timeout: 10,
    prefix: `load-${process.pid}-`,
    deadlineMs: 3000,
    recoveryMs: 2000,
  };
  const names = {
    '--url': 'url',
    '--app-id': 'appId',
    '--app-secret': 'appSecret',
    '--out': 'out',
    '--connections': 'connections',
    '--seconds': 'seconds',
    '--timeout': 'timeout',
    '--prefix': 'prefix',
    '--marks': 'marks',
    '--judge': 'judge',
    '--deadline-ms': 'deadlineMs',
    '--recovery-ms': 'recoveryMs',
  };
  const numeric = new Set(['connections', 'seconds', 'timeout', 'deadlineMs', 'recoveryMs']);
  for (let i = 2; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) usage(`bad argument: ${argv[i]}`);
    const v = argv[i + 1];
    if (numeric.has(key)) {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) usage(`${argv[i]} wants a positive number`);
      opts[key] = n;
    } else {
      opts[key] = v;
    }
  }
  for (const k of ['url', 'appId', 'appSecret', 'out']) {
    if (!opts[k]) usage(`missing --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  if (opts.judge && !['outage', 'kill'].includes(opts.judge)) usage('--judge is outage or kill');
  if (opts.judge && !opts.marks) usage('--judge needs --marks');
  return opts;
}

function usage(why) {
  process.stderr.write(`load.mjs: ${why}\n(see the comment at the top of load.mjs)\n`);
  process.exit(2);
}

// ------------------------------------------------------------- tokens

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// What jsonwebtoken.sign(claims, secret, {algorithm: 'HS512'}) writes: the
// secret's text is the HMAC key.
function jwtHs512(claims, secret) {
  const input = `${b64url(JSON.stringify({ alg: 'HS512', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  const sig = crypto.createHmac('sha512', secret).update(input).digest();
  return `${input}.${b64url(sig)}`;
}

// ------------------------------------------------------------- requests

// A Cord error: a JSON object with a string `error` and a string `message`.
function isCordError(contentType, text) {
  if (!/^application\/json\b/i.test(contentType)) return false;
  try {
    const v = JSON.parse(text);
    return (
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      typeof v.error === 'string' &&
      typeof v.message === 'string'
    );
  } catch {
    return false;
  }
}

function makeRequester(base, agent, timeoutMs) {
  const url = new URL(base);
  return function request(method, urlPath, headers, body) {
    return new Promise((resolve) => {
      const t = Date.now();
      const t0 = performance.now();
      let done = false;
      let timer;
      const finish = (status, text, contentType, err) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ t, ms: performance.now() - t0, status, text, contentType, err });
      };
      const h = { ...headers };
      if (body !== undefined) {
        h['Content-Type'] = 'application/json';
        h['Content-Length'] = Buffer.byteLength(body);
      }
      const req = http.request(
        { agent, hostname: url.hostname, port: url.port, method, path: urlPath, headers: h },
        (res) => {
          const chunks = [];
          let size = 0;
          let ended = false;
          res.on('data', (c) => {
            size += c.length;
            if (size <= 65536) chunks.push(c);
          });
          res.on('end', () => {
            ended = true;
            finish(
              res.statusCode,
              Buffer.concat(chunks).toString('utf8'),
              res.headers['content-type'] ?? '',
            );
          });
          res.on('error', (e) => finish(0, '', '', `response: ${e.code ?? e.message}`));
          res.on('close', () => {
            if (!ended) finish(0, '', '', 'response cut short');
          });
        },
      );
      req.on('error', (e) => finish(0, '', '', e.code ?? e.message));
      timer = setTimeout(() => {
        finish(-1, '', '', 'no answer (client timeout)');
        req.destroy();
      }, timeoutMs);
      req.end(body);
    });
  };
}

// ------------------------------------------------------------- the load

async function runLoad(opts) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const request = makeRequester(opts.url, agent, opts.timeout * 1000);
  const now = Math.floor(Date.now() / 1000);
  const claims = { app_id: opts.appId, iat: now, exp: now + 3600 };
  const serverToken = jwtHs512(claims, opts.appSecret);
  const authorizeBody = JSON.stringify({ signed_app_token: jwtHs512(claims, opts.appSecret) });
  const bearer = { Authorization: `Bearer ${serverToken}` };

  fs.mkdirSync(opts.out, { recursive: true });
  const events = fs.createWriteStream(path.join(opts.out, 'events.ndjson'));
  const acked = fs.createWriteStream(path.join(opts.out, 'acked.ndjson'));
  const all = [];

  // One user written before the load, so that reads have a target at once.
  const seedId = `${opts.prefix}seed`;
  const seed = await request(
    'PUT',
    `/v1/users/${encodeURIComponent(seedId)}`,
    bearer,
    JSON.stringify({ email: `${seedId}@reliability.example`, name: 'seed' }),
  );
  if (seed.status < 200 || seed.status > 299) {
    process.stderr.write(`load.mjs: the seed PUT got ${seed.status} ${seed.text} ${seed.err ?? ''}\n`);
    process.exit(1);
  }
  acked.write(`${JSON.stringify({ id: seedId, email: `${seedId}@reliability.example`, t: seed.t })}\n`);

  const start = Date.now();
  const endAt = start + opts.seconds * 1000;

  async function loop(k) {
    const mine = [seedId];
    let n = 0;
    while (Date.now() < endAt) {
      const r = Math.random();
      let op;
      let res;
      let id;
      let email;
      if (r < 0.4) {
        op = 'put';
        id = `${opts.prefix}${k}-${n++}`;
        email = `${id}@reliability.example`;
        res = await request(
          'PUT',
          `/v1/users/${encodeURIComponent(id)}`,
          bearer,
          JSON.stringify({ email, name: `Load ${k}` }),
        );
      } else if (r < 0.65) {
        op = 'get';
        id = mine[Math.floor(Math.random() * mine.length)];
        res = await request('GET', `/v1/users/${encodeURIComponent(id)}`, bearer);
      } else if (r < 0.85) {
        op = 'authorize';
        res = await request('POST', '/v1/authorize', {}, authorizeBody);
      } else {
        op = 'healthz';
        res = await request('GET', '/healthz', {});
      }
      const ok = res.status >= 200 && res.status <= 299;
      const ev = {
        t: res.t,
        op,
        ms: Math.round(res.ms * 10) / 10,
        status: res.status,
        cord: ok ? false : isCordError(res.contentType, res.text),
      };
      if (id !== undefined) ev.id = id;
      if (res.err) ev.err = res.err;
      if (!ok && res.status > 0 && !ev.cord) ev.body = res.text.slice(0, 200);
      all.push(ev);
      events.write(`${JSON.stringify(ev)}\n`);
      if (op === 'put' && ok) {
        mine.push(id);
        acked.write(`${JSON.stringify({ id, email, t: res.t })}\n`);
      }
      // A connection refused comes back at once: do not spin on it.
      if (res.status === 0) await new Promise((r2) => setTimeout(r2, 20));
    }
  }

  await Promise.all(Array.from({ length: opts.connections }, (_, k) => loop(k)));
  agent.destroy();
  await Promise.all([
    new Promise((r) => events.end(r)),
    new Promise((r) => acked.end(r)),
  ]);
  return { all, start, end: Date.now() };
}

// ------------------------------------------------------------- figures

function quantile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const is2xx = (e) => e.status >= 200 && e.status <= 299;

function figures(all, start, end) {
  const byOp = {};
  for (const e of all) {
    const o = (byOp[e.op] ??= { requests: 0, ok: 0, s503: 0, hangs: 0, statuses: {} });
    o.requests++;
    if (is2xx(e)) o.ok++;
    if (e.status === 503) o.s503++;
    if (e.status === -1) o.hangs++;
    o.statuses[e.status] = (o.statuses[e.status] ?? 0) + 1;
  }
  const lat = all.map((e) => e.ms).sort((a, b) => a - b);
  const secs = (end - start) / 1000;
  return {
    requests: all.length,
    ok: all.filter(is2xx).length,
    s503: all.filter((e) => e.status === 503).length,
    s503_cord: all.filter((e) => e.status === 503 && e.cord).length,
    gateway: all.filter((e) => e.status === 502 || e.status === 504).length,
    conn_errors: all.filter((e) => e.status === 0).length,
    hangs: all.filter((e) => e.status === -1).length,
    writes_acked: all.filter((e) => e.op === 'put' && is2xx(e)).length,
    rps: Math.round(all.length / secs),
    latency_ms: {
      p50: quantile(lat, 0.5),
      p99: quantile(lat, 0.99),
      max: lat.length ? lat[lat.length - 1] : 0,
    },
    by_op: byOp,
  };
}

function readMarks(file) {
  const marks = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = line.trim().match(/^(\S+)\s+(\d+)$/);
    if (m) (marks[m[1]] ??= []).push(Number(m[2]));
  }
  return marks;
}

function describe(e) {
  const what = e.status === -1 ? 'no answer' : e.status === 0 ? `connection error (${e.err})` : `${e.status}`;
  return `${e.op} ${what} after ${Math.round(e.ms)} ms${e.body ? `: ${JSON.stringify(e.body)}` : ''}`;
}

function sample(list, n = 3) {
  return list.slice(0, n).map(describe).join('; ');
}

// The database went away at `down` (stopped or frozen) and was back at `up`
// (accepting connections again, or resumed). Every request needs it, so:
//  - none hangs: every one is answered, within --deadline-ms
//    (CORDGATE_REQUEST_TIMEOUT + 1 s), and none is a 502/504 of the web
//    server or a connection error;
//  - every one that failed is a 503 whose body is a Cord error
//    {"error","message"};
//  - none failed before the outage began (answered before `down`);
//  - it recovers: from the start of the first request after which every
//    request succeeded, at most --recovery-ms after `up`, with at least a
//    second of such requests before the load ended.
function judgeOutage(all, fig, marks, opts, end) {
  const failures = [];
  const down = marks.down?.[0];
  const up = marks.up?.[0];
  if (down === undefined || up === undefined) {
    return { failures: ['the marks file has no "down" and "up" times'] };
  }
  const sorted = [...all].sort((a, b) => a.t - b.t);
  const failed = sorted.filter((e) => !is2xx(e));
  const hangs = failed.filter((e) => e.status === -1);
  const late = sorted.filter((e) => e.status !== -1 && e.ms > opts.deadlineMs);
  const gateway = failed.filter((e) => e.status === 502 || e.status === 504);
  const connErrors = failed.filter((e) => e.status === 0);
  const not503 = failed.filter((e) => e.status > 0 && !(e.status === 503 && e.cord));
  const before = failed.filter((e) => e.t + e.ms < down);
  const during = sorted.filter((e) => e.t + e.ms >= down && e.t <= up);

  if (hangs.length) {
    failures.push(`${hangs.length} requests hung (no answer within ${opts.timeout} s): ${sample(hangs)}`);
  }
  if (late.length) {
    failures.push(
      `${late.length} requests answered after more than ${opts.deadlineMs} ms ` +
        `(max ${Math.round(fig.latency_ms.max)} ms): ${sample(late.sort((a, b) => b.ms - a.ms))}`,
    );
  }
  if (gateway.length) failures.push(`${gateway.length} gateway errors (502/504): ${sample(gateway)}`);
  if (connErrors.length) failures.push(`${connErrors.length} connection errors: ${sample(connErrors)}`);
  if (not503.length) {
    failures.push(`${not503.length} failed requests were not a JSON 503 Cord error: ${sample(not503)}`);
  }
  if (before.length) {
    failures.push(`${before.length} requests failed before the outage began: ${sample(before)}`);
  }

  // Recovery: the first request of the final run of successes.
  let lastFail = -1;
  for (let i = sorted.length - 1; i >= 0; i--) {
    if (!is2xx(sorted[i])) {
      lastFail = i;
      break;
    }
  }
  const steady = sorted.slice(lastFail + 1);
  let recoveryMs = null;
  if (steady.length === 0 || end - steady[0].t < 1000) {
    failures.push(
      'the service did not recover: requests were still failing ' +
        `${Math.round((end - up) / 1000)} s after the database was back`,
    );
  } else {
    recoveryMs = Math.max(0, Math.round(steady[0].t - up));
    if (recoveryMs > opts.recoveryMs) {
      failures.push(`recovery took ${recoveryMs} ms after the database was back (at most ${opts.recoveryMs})`);
    }
  }
  const firstOk = sorted.find((e) => e.t >= up && is2xx(e));
  return {
    down,
    up,
    outage_ms: up - down,
    during_outage: during.length,
    failed_during_outage: during.filter((e) => !is2xx(e)).length,
    first_2xx_after_up_ms: firstOk ? Math.round(firstOk.t + firstOk.ms - up) : null,
    recovery_ms: recoveryMs,
    late: late.length,
    not_json_503: not503.length,
    failed_before: before.length,
    failures,
  };
}

// A worker was SIGKILLed at each `kill`: at most the request it was serving
// fails (one per kill, whatever its status), and nothing hangs.
function judgeKill(all, fig, marks, opts) {
  const failures = [];
  const kills = marks.kill?.length ?? 0;
  if (kills === 0) return { failures: ['the marks file has no "kill" time'] };
  const failed = all.filter((e) => !is2xx(e));
  const hangs = failed.filter((e) => e.status === -1);
  const late = all.filter((e) => e.status !== -1 && e.ms > opts.deadlineMs);
  if (failed.length > kills) {
    failures.push(`${failed.length} requests failed for ${kills} killed worker(s) (at most ${kills}): ${sample(failed)}`);
  }
  if (hangs.length) failures.push(`${hangs.length} requests hung: ${sample(hangs)}`);
  if (late.length) {
    failures.push(`${late.length} requests answered after more than ${opts.deadlineMs} ms: ${sample(late)}`);
  }
  return { kills, failed: failed.length, failed_samples: failed.slice(0, 5).map(describe), failures };
}

// ------------------------------------------------------------- main

const opts = parseArgs(process.argv);
const { all, start, end } = await runLoad(opts);
const summary = { seconds: opts.seconds, connections: opts.connections, ...figures(all, start, end) };
if (opts.judge) {
  const marks = readMarks(opts.marks);
  summary.verdict =
    opts.judge === 'outage'
      ? judgeOutage(all, summary, marks, opts, end)
      : judgeKill(all, summary, marks, opts);
}
fs.writeFileSync(path.join(opts.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
const v = summary.verdict;
process.stdout.write(
  `load: ${summary.requests} requests (${summary.rps}/s), ${summary.ok} 2xx, ` +
    `${summary.s503} 503 (${summary.s503_cord} JSON), ${summary.gateway} 502/504, ` +
    `${summary.conn_errors} connection errors, ${summary.hangs} hangs, ` +
    `max ${Math.round(summary.latency_ms.max)} ms` +
    (v ? `; ${v.failures.length ? `${v.failures.length} assertions failed` : 'all assertions held'}` : '') +
    '\n',
);
