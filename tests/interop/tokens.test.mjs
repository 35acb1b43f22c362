// Token interoperability: tokens made by real, independent clients
// (jsonwebtoken 9.0.2 as in the seed docs, and the official @cord-sdk/server
// 1.44.0) against a running cordgate, and tokens made by cordgate checked
// with jsonwebtoken. cord-api.md §3.3, §3.4, §3.6, §3.7.1, §12 cases 1-23.
//
// Run by tests/interop/run.sh; see there for the environment.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { getServerAuthToken, getClientAuthToken } from '@cord-sdk/server';
import {
  APP,
  BIN,
  DATABASE_URL,
  SECRET,
  call,
  env,
  expectJson,
  psql,
} from './lib.mjs';

const UUID_RE =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 24 * 60 * 60 * 1000;
// Slack for "about 24 h ahead" and "iat is now": the test and the service
// share a clock, but requests and the database take some time.
const SLACK_MS = 60 * 1000;

const nowSeconds = () => Math.floor(Date.now() / 1000);

const authorize = (signedAppToken) =>
  call('POST', '/v1/authorize', { json: { signed_app_token: signedAppToken } });

const verify = (bearer) => call('GET', '/v1/verify', { bearer });

const projectTokenError = (message) => ({
  error: 'invalid_project_token',
  message,
});

// The seed's signed app token, made exactly as the docs show.
const seedAppToken = () =>
  jwt.sign({ app_id: APP }, SECRET, { expiresIn: '1 min', algorithm: 'HS512' });

function decodeComplete(token) {
  const decoded = jwt.decode(token, { complete: true });
  assert.ok(decoded, `not a decodable JWT: ${token}`);
  return decoded;
}

let appName;
let verifyBody;

before(() => {
  assert.match(APP, UUID_RE, 'CORDGATE_TEST_APP_ID must be a UUID');
  appName = psql("SELECT name FROM apps WHERE id = :'app'", { app: APP });
  assert.notEqual(appName, '', `app ${APP} not found in the database`);
  verifyBody = {
    success: true,
    application_id: APP,
    application_name: appName,
  };
});

describe('POST /v1/authorize with jsonwebtoken (seed docs)', () => {
  test('the seed signed app token gets an access token expiring in 24 h', async () => {
    const t0 = Date.now();
    const res = await authorize(seedAppToken());
    const t1 = Date.now();

    assert.equal(res.status, 200, res.text);
    assert.match(res.contentType, /^application\/json\b/i);
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires']);
    const { access_token: accessToken, expires } = res.body;
    assert.equal(typeof accessToken, 'string');
    assert.equal(accessToken.split('.').length, 3, accessToken);
    assert.equal(typeof expires, 'string');
    // ISO-8601, UTC, millisecond precision, exactly as Date#toISOString.
    assert.match(expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(new Date(expires).toISOString(), expires);
    const at = Date.parse(expires);
    assert.ok(
      at >= t0 + DAY_MS - SLACK_MS && at <= t1 + DAY_MS + SLACK_MS,
      `expires ${expires} is not about 24 h after ${new Date(t0).toISOString()}`,
    );
  });

  test('the access token verifies with jsonwebtoken and authenticates /v1/verify', async () => {
    const accessSecret = psql(
      "SELECT value FROM settings WHERE key = 'access_token_secret'",
    );
    assert.notEqual(accessSecret, '', 'no access_token_secret in settings');

    const t0 = nowSeconds();
    const res = await authorize(seedAppToken());
    const t1 = nowSeconds();
    assert.equal(res.status, 200, res.text);
    const token = res.body.access_token;

    const { header } = decodeComplete(token);
    assert.deepEqual(header, { alg: 'HS512', typ: 'JWT' });
    // Throws (failing the test) on a bad signature, algorithm or exp.
    const payload = jwt.verify(token, accessSecret, { algorithms: ['HS512'] });
    assert.deepEqual(Object.keys(payload).sort(), ['exp', 'iat', 'session_id']);
    assert.match(payload.session_id, UUID_RE);
    assert.ok(Number.isInteger(payload.iat), `iat ${payload.iat}`);
    assert.ok(Number.isInteger(payload.exp), `exp ${payload.exp}`);
    assert.equal(payload.exp - payload.iat, 86400);
    assert.ok(
      payload.iat >= t0 - SLACK_MS / 1000 && payload.iat <= t1 + SLACK_MS / 1000,
      `iat ${payload.iat} is not the time of the request (${t0}..${t1})`,
    );
    // The token is backed by a session of this app (§3.3).
    assert.equal(
      psql("SELECT app_id FROM sessions WHERE id = :'sid'", {
        sid: payload.session_id,
      }),
      APP,
    );

    // Signed with the app secret it must not verify: the access token is
    // signed with the server-wide secret only.
    assert.throws(() => jwt.verify(token, SECRET, { algorithms: ['HS512'] }), {
      name: 'JsonWebTokenError',
      message: 'invalid signature',
    });

    expectJson(await verify(token), 200, verifyBody, 'GET /v1/verify with the access token');
  });

  test('a token carrying project_id instead of app_id is refused (§3.3 step 5)', async () => {
    const token = jwt.sign({ project_id: APP }, SECRET, {
      algorithm: 'HS512',
      expiresIn: '1 min',
    });
    expectJson(
      await authorize(token),
      401,
      projectTokenError('signed_app_token payload is missing app_id.'),
      'authorize with project_id',
    );
  });
});

describe('server auth tokens as Bearer on GET /v1/verify', () => {
  test('@cord-sdk/server getServerAuthToken', async () => {
    const token = getServerAuthToken(APP, SECRET);
    const { header, payload } = decodeComplete(token);
    assert.equal(header.alg, 'HS512');
    assert.equal(payload.app_id, APP);
    expectJson(await verify(token), 200, verifyBody, 'getServerAuthToken');
  });

  test('Go/Java style {project_id} token from jsonwebtoken', async () => {
    const token = jwt.sign({ project_id: APP }, SECRET, {
      algorithm: 'HS512',
      expiresIn: '1 min',
    });
    expectJson(await verify(token), 200, verifyBody, 'project_id server token');
  });

  test('@cord-sdk/server getClientAuthToken is not a server token', async () => {
    const token = getClientAuthToken(APP, SECRET, { user_id: 'u1' });
    assert.equal(decodeComplete(token).payload.project_id, APP);
    expectJson(
      await verify(token),
      401,
      projectTokenError(
        'Authorization token payload invalid, must contain only project_id.',
      ),
      'client auth token on /v1/verify',
    );
  });
});

describe('POST /v1/authorize rejects what jsonwebtoken.verify rejects', () => {
  const rejected = async (token, message, what) => {
    expectJson(await authorize(token), 401, projectTokenError(message), what);
  };

  test('HS256 → invalid algorithm', async () => {
    const token = jwt.sign({ app_id: APP }, SECRET, {
      algorithm: 'HS256',
      expiresIn: '1 min',
    });
    await rejected(token, 'JsonWebTokenError: invalid algorithm', 'HS256');
  });

  test('wrong secret → invalid signature', async () => {
    const token = jwt.sign({ app_id: APP }, `${SECRET}-wrong-${randomUUID()}`, {
      algorithm: 'HS512',
      expiresIn: '1 min',
    });
    await rejected(token, 'JsonWebTokenError: invalid signature', 'wrong secret');
  });

  test('no iat (noTimestamp) → iat required when maxAge is specified', async () => {
    const token = jwt.sign({ app_id: APP }, SECRET, {
      algorithm: 'HS512',
      expiresIn: '1 min',
      noTimestamp: true,
    });
    assert.equal(decodeComplete(token).payload.iat, undefined);
    await rejected(
      token,
      'JsonWebTokenError: iat required when maxAge is specified',
      'noTimestamp',
    );
  });

  test('unsigned alg none → jwt signature is required', async () => {
    const token = jwt.sign({ app_id: APP }, null, { algorithm: 'none' });
    const parts = token.split('.');
    assert.equal(parts.length, 3, token);
    assert.equal(parts[2], '', 'alg none token must have an empty signature');
    assert.equal(decodeComplete(token).header.alg, 'none');
    await rejected(token, 'JsonWebTokenError: jwt signature is required', 'alg none');
  });

  test('exp 31 s in the past (beyond the 30 s tolerance) → jwt expired', async () => {
    const now = nowSeconds();
    const token = jwt.sign({ app_id: APP, iat: now - 100, exp: now - 31 }, SECRET, {
      algorithm: 'HS512',
    });
    await rejected(token, 'TokenExpiredError: jwt expired', 'exp now-31');
  });

  test('exp 20 s in the past (within the 30 s tolerance) → 200', async () => {
    const now = nowSeconds();
    const token = jwt.sign({ app_id: APP, iat: now - 100, exp: now - 20 }, SECRET, {
      algorithm: 'HS512',
    });
    const res = await authorize(token);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires']);
  });

  test('iat over 24 h + 30 s old, no exp → maxAge exceeded', async () => {
    const token = jwt.sign({ app_id: APP, iat: nowSeconds() - 86431 }, SECRET, {
      algorithm: 'HS512',
    });
    await rejected(token, 'TokenExpiredError: maxAge exceeded', 'old iat');
  });

  test('nbf 100 s ahead → jwt not active', async () => {
    const token = jwt.sign({ app_id: APP }, SECRET, {
      algorithm: 'HS512',
      expiresIn: '1 min',
      notBefore: 100,
    });
    await rejected(token, 'NotBeforeError: jwt not active', 'nbf now+100');
  });
});

describe('cordgate token server (curl helper)', () => {
  test('prints a server auth token that jsonwebtoken verifies and /v1/verify accepts', async () => {
    let out;
    try {
      out = execFileSync(BIN, ['token', 'server', '--app', APP], {
        env: { ...process.env, CORDGATE_DATABASE_URL: DATABASE_URL },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      assert.fail(
        `${BIN} token server --app ${APP} failed (status ${e.status}): ` +
          `${e.stderr || e.stdout || e.message}`,
      );
    }
    const token = out.trim();
    assert.equal(token.split('.').length, 3, `not a JWT: ${JSON.stringify(out)}`);

    const payload = jwt.verify(token, SECRET, { algorithms: ['HS512'] });
    assert.equal(payload.app_id, APP);
    assert.ok(Number.isInteger(payload.iat), `iat ${payload.iat}`);
    assert.equal(payload.exp - payload.iat, 60);

    expectJson(await verify(token), 200, verifyBody, 'cordgate token server');
  });
});
