'use strict';
// The Node peer of cordgate in bench/run.sh: the seeds' own stack, express +
// jsonwebtoken + pg (+ @cord-sdk/server for the test tokens), serving the
// endpoints bench/run.sh loads, written the way the seed documents write them
// (seed-2's /generate-cord-token verbatim, seed-3's authorize flow), on
// cordgate's own PostgreSQL tables with cordgate's statements, each a named
// prepared statement (node-postgres prepares it once per connection, as
// cordgate does).
//
// What it keeps between requests, and why that is what cordgate keeps:
// - the test app's secret and the access-token secret, read once at start
//   and held as KeyObjects (crypto.createSecretKey; BENCH_KEYOBJECT=0 hands
//   jsonwebtoken strings, as the seed does). cordgate reads the
//   access-token secret once per worker and takes the test app from its app
//   cache: neither asks PostgreSQL per request, and neither does this.
// - apps (POST /v1/authorize's lookup) and valid sessions (every bearer
//   request), in a Map per process, each for at most CACHE_TTL_MS = 10 s and
//   never past the session's own expiry: src/cache.c's bound, per worker
//   there, per process here. Only valid sessions are cached, as there.
// - nothing else: every PUT, GET and session insert goes to PostgreSQL, as
//   in cordgate.
//
// Environment:
//   BENCH_DATABASE_URL  libpq URI or "key=value ..." connection string
//   BENCH_APP_ID        the app whose secret signs the test tokens
//   BENCH_PORT          HTTP port on 127.0.0.1
//   BENCH_CLUSTER       number of node cluster workers; 0 = one process
//   BENCH_KEYOBJECT     1: hand jsonwebtoken KeyObjects instead of strings
const cluster = require('node:cluster');
const crypto = require('node:crypto');
const express = require('express');
const jwt = require('jsonwebtoken');
const pg = require('pg');
const CordServer = require('@cord-sdk/server');

const PORT = Number(process.env.BENCH_PORT || 3337);
const WORKERS = Number(process.env.BENCH_CLUSTER || 0);
const KEYOBJECT = process.env.BENCH_KEYOBJECT === '1';
const APP_ID = process.env.BENCH_APP_ID;

if (WORKERS > 0 && cluster.isPrimary) {
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on('exit', (w, code) => {
    console.error(`worker ${w.process.pid} exited (${code})`);
    process.exit(1);
  });
  process.on('SIGTERM', () => {
    for (const id in cluster.workers) cluster.workers[id].process.kill();
    process.exit(0);
  });
  return;
}

function pgConfig(url) {
  if (/^postgres(ql)?:\/\//.test(url)) return { connectionString: url };
  const cfg = {};
  const names = { host: 'host', port: 'port', dbname: 'database', user: 'user',
    password: 'password' };
  for (const m of url.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
    let v = m[2];
    if (v.startsWith("'")) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    if (names[m[1]]) cfg[names[m[1]]] = v;
  }
  return cfg;
}

// One pool per process, node-postgres's defaults (10 connections).
const pool = new pg.Pool(pgConfig(process.env.BENCH_DATABASE_URL || ''));

// cordgate's statements (src/store/*.c), unnamed and parameterised.
const SQL = {
  app: 'SELECT id, name, secret, created_at FROM apps WHERE id = $1',
  setting: 'SELECT value FROM settings WHERE key = $1',
  sessionCreate:
    "INSERT INTO sessions (app_id, expires_at) " +
    "SELECT $1, now() + interval '24 hours' " +
    'WHERE EXISTS (SELECT 1 FROM apps WHERE id = $1) ' +
    "RETURNING id, to_char(expires_at AT TIME ZONE 'UTC', " +
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS expires",
  sessionGet:
    'SELECT a.id, a.name, a.secret, s.expires_at IS NULL AS revoked, ' +
    's.expires_at < now() AS expired, ' +
    '(extract(epoch FROM s.expires_at) * 1000)::bigint AS expires_ms ' +
    'FROM sessions s JOIN apps a ON a.id = s.app_id WHERE s.id = $1',
  upsert:
    'INSERT INTO users AS u (app_id, id, email, name, short_name, status, ' +
    'profile_picture_url, metadata) ' +
    'SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, ' +
    "coalesce($6::text, 'active'), CASE WHEN $8::boolean THEN $7::text END, " +
    "coalesce($9::jsonb, '{}') " +
    'WHERE $3::text IS NOT NULL OR $10::boolean OR EXISTS ' +
    '(SELECT 1 FROM users WHERE app_id = $1 AND id = $2) ' +
    'ON CONFLICT (app_id, id) DO UPDATE SET ' +
    'email = coalesce($3, u.email), name = coalesce($4, u.name), ' +
    'short_name = coalesce($5, u.short_name), ' +
    'status = coalesce($6, u.status), ' +
    'profile_picture_url = CASE WHEN $8::boolean THEN $7 ' +
    'ELSE u.profile_picture_url END, ' +
    'metadata = coalesce($9::jsonb, u.metadata), updated_at = now() ' +
    'RETURNING xmax = 0 AS created',
  userGet:
    'SELECT u.id, u.email, u.name, u.short_name, u.status, ' +
    'u.profile_picture_url, u.metadata::text AS metadata, ' +
    "to_char(u.created_at AT TIME ZONE 'UTC', " +
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created, " +
    'coalesce((SELECT json_agg(m.group_id ORDER BY m.group_id) ' +
    'FROM group_members m JOIN groups g ' +
    'ON g.app_id = m.app_id AND g.id = m.group_id ' +
    "WHERE m.app_id = u.app_id AND m.user_id = u.id AND g.status = 'active'), " +
    "'[]')::text AS groups FROM users u WHERE u.app_id = $1 AND u.id = $2",
};

// How long an app or a session is trusted (src/cache.h CACHE_TTL_MS).
const CACHE_TTL_MS = 10000;
const apps = new Map(); // app id -> { row, until }
const sessions = new Map(); // session id -> { appId, until }

function cacheGet(map, key) {
  const e = map.get(key);
  if (e === undefined) return undefined;
  if (Date.now() >= e.until) {
    map.delete(key);
    return undefined;
  }
  return e;
}

// Kept CACHE_TTL_MS, or until expiresMs when that comes first; a Map that
// outgrows the bound is emptied (cordgate's table has 256 slots a worker).
function cachePut(map, key, e, expiresMs = Infinity) {
  e.until = Math.min(Date.now() + CACHE_TTL_MS, expiresMs);
  if (map.size >= 10000) map.clear();
  map.set(key, e);
}

async function appGet(id) {
  let e = cacheGet(apps, id);
  if (e === undefined) {
    const row = (await pool.query({ name: 'app', text: SQL.app, values: [id] }))
      .rows[0];
    if (!row) return undefined;
    e = { row };
    cachePut(apps, id, e);
  }
  return e.row;
}

// The secret as the seed hands it to jsonwebtoken (a string, which
// jsonwebtoken 9 first tries to parse as a PEM key), or as a KeyObject.
const key = (s) => (KEYOBJECT ? crypto.createSecretKey(Buffer.from(s)) : s);
const appKeys = new Map(); // app secret string -> key, built once per secret
function appKey(secret) {
  let k = appKeys.get(secret);
  if (k === undefined) appKeys.set(secret, (k = key(secret)));
  return k;
}

function apiError(res, status, error, message) {
  res.status(status).json({ error, message });
}

async function main() {
  const testApp = (await pool.query(SQL.app, [APP_ID])).rows[0];
  if (!testApp) throw new Error(`BENCH_APP_ID ${APP_ID} is not an app`);
  const testSecret = key(testApp.secret);
  const accessRow = (await pool.query(SQL.setting, ['access_token_secret']))
    .rows[0];
  if (!accessRow) throw new Error('no access_token_secret: run migrate');
  const accessSecret = key(accessRow.value);

  const app = express();

  // seed-2, verbatim but for the secrets' origin.
  app.get('/generate-cord-token', function generateCordToken(req, res) {
    let userIndex = parseInt(req.query.userIndex, 10);
    if (userIndex === undefined || userIndex === null || isNaN(userIndex)) {
      userIndex = 0;
    }
    const users = [
      { user_id: 'severusatreides', organization_id: 'starpotterdunewars',
        user_details: { email: 'sevvy@arrakis.spice', name: 'Severus Atreides' } },
      { user_id: 'minervahalleck', organization_id: 'starpotterdunewars',
        user_details: { email: '', name: 'Minerva Halleck' } },
      { user_id: 'hermioneorgana', organization_id: 'starpotterdunewars',
        user_details: { email: '', name: 'Hermione Organa' } },
      { user_id: 'jarjarmarvolo', organization_id: 'starpotterdunewars',
        user_details: { email: 'meesa@lowkey.sith', name: 'Jar Jar Marvolo' } },
    ];
    const user = users[userIndex % users.length];
    const clientAuthToken = CordServer.getClientAuthToken(APP_ID, testSecret, {
      ...user,
      organization_details: { name: 'starpotterdunewars' },
    });
    res.setHeader('Access-Control-Allow-Origin', 'http://localhost:5173');
    res.setHeader('Content-Type', 'application/json');
    res.send(JSON.stringify({ clientAuthToken }));
  });

  app.use(express.json());

  // seed-3 / cord-api 3.3: verify the signed app token with its app's secret,
  // create a session, sign {session_id} for 24 hours.
  app.post('/v1/authorize', async (req, res, next) => {
    try {
      const token = req.body && req.body.signed_app_token;
      if (typeof token !== 'string') {
        return apiError(res, 400, 'missing_field',
          'Missing required field: signed_app_token.');
      }
      const decoded = jwt.decode(token);
      if (!decoded || typeof decoded.app_id !== 'string') {
        return apiError(res, 401, 'invalid_project_token',
          'signed_app_token payload is missing app_id.');
      }
      const a = await appGet(decoded.app_id);
      if (!a) return apiError(res, 401, 'invalid_project_token', 'no app');
      try {
        jwt.verify(token, appKey(a.secret), {
          algorithms: ['HS512'], maxAge: '24h', clockTolerance: 30 });
      } catch (e) {
        return apiError(res, 401, 'invalid_project_token', String(e));
      }
      const s = (await pool.query({ name: 'sessionCreate',
        text: SQL.sessionCreate, values: [a.id] })).rows[0];
      if (!s) {
        return res.status(401).json({ error: 'project_not_found',
          message: 'Platform project not found.' });
      }
      const access_token = jwt.sign({ session_id: s.id }, accessSecret, {
        algorithm: 'HS512', expiresIn: '24h' });
      res.json({ access_token, expires: s.expires });
    } catch (e) {
      next(e);
    }
  });

  // Bearer authentication with an access token: signature, then session.
  async function auth(req, res, next) {
    try {
      const h = req.get('authorization') || '';
      const m = /^Bearer (.+)$/.exec(h);
      if (!m) return apiError(res, 401, 'invalid_authorization_header', '');
      let claims;
      try {
        claims = jwt.verify(m[1], accessSecret, { algorithms: ['HS512'] });
      } catch (e) {
        return apiError(res, 401, 'invalid_access_token', String(e));
      }
      const sid = claims.session_id;
      let e = cacheGet(sessions, sid);
      if (e === undefined) {
        const s = (await pool.query({ name: 'sessionGet', text: SQL.sessionGet,
          values: [sid] })).rows[0];
        if (!s || s.revoked || s.expired) {
          return apiError(res, 401, 'invalid_access_token',
            'No valid session found.');
        }
        // Only valid sessions, each until its expiry at the latest.
        e = { appId: s.id };
        cachePut(sessions, sid, e, Number(s.expires_ms));
      }
      req.app_id = e.appId;
      next();
    } catch (e) {
      next(e);
    }
  }

  const str = (v) => (typeof v === 'string' ? v : null);

  app.put('/v1/users/:userID', auth, async (req, res, next) => {
    try {
      const b = req.body || {};
      const id = req.params.userID;
      const pic = b.profilePictureURL ?? b.profile_picture_url;
      const r = await pool.query({ name: 'upsert', text: SQL.upsert, values: [
        req.app_id, id, str(b.email), str(b.name),
        str(b.shortName ?? b.short_name), str(b.status),
        str(pic), pic !== undefined,
        b.metadata === undefined ? null : JSON.stringify(b.metadata), false,
      ] });
      if (r.rows.length === 0) {
        return apiError(res, 400, 'invalid_request',
          'Invalid UpdatePlatformUserVariables:\nInput 1 missing required ' +
          'field email.');
      }
      res.json({ success: true, message:
        `✅ You successfully ${r.rows[0].created ? 'created' : 'updated'} user ${id}` });
    } catch (e) {
      next(e);
    }
  });

  app.get('/v1/users/:userID', auth, async (req, res, next) => {
    try {
      const u = (await pool.query({ name: 'userGet', text: SQL.userGet,
        values: [req.app_id, req.params.userID] })).rows[0];
      if (!u) return apiError(res, 401, 'user_not_found', 'User not found.');
      const groups = JSON.parse(u.groups);
      res.json({
        id: u.id, email: u.email, status: u.status, name: u.name,
        shortName: u.short_name, short_name: u.short_name,
        first_name: null, last_name: null,
        profilePictureURL: u.profile_picture_url,
        profile_picture_url: u.profile_picture_url,
        organizations: groups, groups, metadata: JSON.parse(u.metadata),
        groupIDsWithLinkedSlackProfile: [], createdTimestamp: u.created,
      });
    } catch (e) {
      next(e);
    }
  });

  app.listen(PORT, '127.0.0.1', () => {
    console.log(`node reference (pid ${process.pid}) on 127.0.0.1:${PORT}` +
      ` keyobject=${KEYOBJECT}`);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
