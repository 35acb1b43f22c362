// Client auth tokens with the official SDK: the seed's test-token endpoint
// (GET /generate-cord-token?userIndex=N, seeds 1 and 2, DESIGN §5) compared
// byte for byte with @cord-sdk/server 1.44.0's getClientAuthToken, the
// seed's whole flow through GET /v1/client/viewer and GET /v1/users/<id>,
// and tokens made by getClientAuthToken / jsonwebtoken on
// GET /v1/client/viewer (cord-api.md §3.7, §12 cases 44 and 66-70).
//
// Run by tests/interop/run.sh; see there for the environment. The main
// cordgate runs with CORDGATE_TEST_TOKENS=1 and CORDGATE_TEST_APP_ID = the
// test app, and the default test users and CORS origin.
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

// The users of seed 2 ("Add Multiple Users"), exactly, in its order.
const SEED_USERS = [
  {
    user_id: 'severusatreides',
    organization_id: 'starpotterdunewars',
    user_details: { email: 'sevvy@arrakis.spice', name: 'Severus Atreides' },
  },
  {
    user_id: 'minervahalleck',
    organization_id: 'starpotterdunewars',
    user_details: { email: '', name: 'Minerva Halleck' },
  },
  {
    user_id: 'hermioneorgana',
    organization_id: 'starpotterdunewars',
    user_details: { email: '', name: 'Hermione Organa' },
  },
  {
    user_id: 'jarjarmarvolo',
    organization_id: 'starpotterdunewars',
    user_details: { email: 'meesa@lowkey.sith', name: 'Jar Jar Marvolo' },
  },
];
const ORG = 'starpotterdunewars';
// What the seed passes to getClientAuthToken for users[i].
const seedPayload = (i) => ({
  ...SEED_USERS[i],
  organization_details: { name: ORG },
});
const COUNT = SEED_USERS.length;
const CORS_ORIGIN = 'http://localhost:5173';
const REFER = 'https://docs.cord.com/reference/authentication/';

// A unique prefix for every id this file creates, so that the "creates
// nothing" checks are not disturbed by other test files running at the same
// time against the same database.
const TAG = `cl${randomUUID().slice(0, 8)}`;

const nowSeconds = () => Math.floor(Date.now() / 1000);

const viewer = (token) => call('GET', '/v1/client/viewer', { bearer: token });
const server = () => getServerAuthToken(APP, SECRET);
const getUser = (id) =>
  call('GET', `/v1/users/${encodeURIComponent(id)}`, { bearer: server() });
const putUser = (id, json) =>
  call('PUT', `/v1/users/${encodeURIComponent(id)}`, { bearer: server(), json });

// A client token exactly as the SDK makes it.
const cli = (payload, options) =>
  getClientAuthToken(APP, SECRET, payload, options);

// Cord's 403 for a refused client token on /v1/client/* (§3.7.3 step 12).
const refused = (inner) => ({ error: `invalid_session - ${inner}` });
const unableToLoad = (user) =>
  `Unable to load user ${user} in application ${APP}. ` +
  "Perhaps the user is marked 'deleted'.";

async function fetchTestToken(query) {
  const res = await call('GET', `/generate-cord-token${query}`);
  assert.equal(res.status, 200, `GET /generate-cord-token${query}: ${res.text}`);
  assert.deepEqual(Object.keys(res.body ?? {}), ['clientAuthToken'], res.text);
  const token = res.body.clientAuthToken;
  assert.equal(typeof token, 'string');
  assert.equal(token.split('.').length, 3, token);
  return { res, token };
}

// The index the seed's code picks for the raw query value (a string, or
// undefined when there is none): parseInt(raw, 10), 0 when NaN, then taken
// mod the count; DESIGN §5 asks for that exactly for any integer (so with
// BigInt beyond 2^53) and non-negative.
function seedIndex(raw) {
  const n = parseInt(raw, 10);
  if (Number.isNaN(n)) return 0;
  if (Number.isSafeInteger(n)) return ((n % COUNT) + COUNT) % COUNT;
  // parseInt skips the same leading white space as \s, then reads an
  // optional sign and decimal digits.
  const m = /^\s*([+-]?)(\d+)/.exec(raw);
  assert.ok(m, `parseInt read ${n} from ${JSON.stringify(raw)}`);
  const big = BigInt(m[1] + m[2]);
  const c = BigInt(COUNT);
  return Number(((big % c) + c) % c);
}

// 60 digits; BigInt says it is 3 mod 4 (parseInt and % say 0).
const BIG = '123456789012345678901234567890123456789012345678901234567891';

describe('GET /generate-cord-token (seeds 1 and 2, DESIGN §5)', () => {
  test('200 {"clientAuthToken"}, JSON with a charset, CORS for the vite example', async () => {
    const { res } = await fetchTestToken('?userIndex=0');
    assert.match(res.contentType, /^application\/json\s*;\s*charset=utf-8$/i);
    assert.equal(res.headers.get('access-control-allow-origin'), CORS_ORIGIN);
  });

  test('the CORS preflight of the browser example', async () => {
    const res = await call('OPTIONS', '/generate-cord-token?userIndex=1', {
      headers: {
        Origin: CORS_ORIGIN,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('access-control-allow-origin'), CORS_ORIGIN);
    const methods = (res.headers.get('access-control-allow-methods') ?? '')
      .split(',')
      .map((m) => m.trim().toUpperCase());
    assert.ok(methods.includes('GET'), `Allow-Methods: ${methods}`);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '')
      .split(',')
      .map((m) => m.trim().toLowerCase());
    assert.ok(allowed.includes('content-type'), `Allow-Headers: ${allowed}`);
  });

  // [query string, the index the seed's code picks]
  const rows = [
    ['', 0],
    ['?userIndex=', 0],
    ['?userIndex=abc', 0],
    ['?userIndex=0', 0],
    ['?userIndex=1', 1],
    ['?userIndex=2', 2],
    ['?userIndex=3', 3],
    ['?userIndex=4', 0],
    ['?userIndex=7', 3],
    ['?userIndex=2abc', 2],
    ['?userIndex=-1', 3],
    ['?userIndex=-4', 0],
    ['?userIndex=-5', 3],
    [`?userIndex=${BIG}`, 3],
    [`?userIndex=-${BIG}`, 1],
    [`?userIndex=${'0'.repeat(200)}${BIG}`, 3],
    ['?userIndex=%2B5', 1],
    ['?userIndex=+5', 1],
    ['?userIndex=%203', 3],
    ['?userIndex=%09%0A2', 2],
    ['?userIndex=1.9', 1],
    ['?userIndex=1e3', 1],
    ['?userIndex=0x3', 0],
    ['?userIndex=-', 0],
    ['?userIndex=--1', 0],
    ['?userIndex=%31', 1],
    ['?foo=3&userIndex=2', 2],
  ];
  for (const [query, want] of rows) {
    test(`${query || '(no query)'} → users[${want}]`, async () => {
      const raw = new URLSearchParams(query).get('userIndex') ?? undefined;
      // The table agrees with the seed's own code.
      assert.equal(seedIndex(raw), want, `seedIndex(${JSON.stringify(raw)})`);
      const { token } = await fetchTestToken(query);
      const payload = jwt.verify(token, SECRET, { algorithms: ['HS512'] });
      const { iat, exp, project_id: projectId, ...rest } = payload;
      assert.deepEqual(rest, seedPayload(want));
      assert.equal(projectId, APP);
      assert.equal(exp - iat, 60);
    });
  }

  // parseInt also skips Unicode white space (NBSP, BOM, U+2028, ...).
  test('leading Unicode white space is skipped as parseInt does', async () => {
    const wrong = [];
    for (const [query, want] of [
      ['?userIndex=%C2%A02', 2],
      ['?userIndex=%EF%BB%BF3', 3],
      ['?userIndex=%E2%80%A81', 1],
    ]) {
      const raw = new URLSearchParams(query).get('userIndex');
      assert.equal(seedIndex(raw), want);
      const { token } = await fetchTestToken(query);
      const got = jwt.decode(token).user_id;
      if (got !== SEED_USERS[want].user_id) {
        wrong.push(
          `${query}: got ${got}, but the seed's parseInt gives ` +
            `${parseInt(raw, 10)} (${SEED_USERS[want].user_id})`,
        );
      }
    }
    assert.deepEqual(wrong, []);
  });
});

describe('test tokens are byte-identical to getClientAuthToken', () => {
  for (let i = 0; i < COUNT; i++) {
    test(`userIndex=${i}: ${SEED_USERS[i].user_id}`, async () => {
      const { token } = await fetchTestToken(`?userIndex=${i}`);
      const { header, payload } = jwt.decode(token, { complete: true });
      assert.deepEqual(header, { alg: 'HS512', typ: 'JWT' });
      const { iat } = payload;
      assert.ok(Number.isInteger(iat), `iat ${iat}`);

      // The SDK at the same second as the service.
      const realNow = Date.now;
      let expected;
      Date.now = () => iat * 1000 + 500;
      try {
        expected = getClientAuthToken(APP, SECRET, seedPayload(i));
      } finally {
        Date.now = realNow;
      }
      assert.equal(token, expected);

      const verified = jwt.verify(token, SECRET, { algorithms: ['HS512'] });
      assert.equal(verified.exp - verified.iat, 60);
      assert.equal(verified.project_id, APP);
      assert.ok(
        Math.abs(verified.iat - nowSeconds()) <= 60,
        `iat ${verified.iat} is not now`,
      );
    });
  }
});

describe("the seed's flow: test token → /v1/client/viewer → GET /v1/users", () => {
  for (const index of [0, 1, 2, 3, 4, 5, -1]) {
    const want = ((index % COUNT) + COUNT) % COUNT;
    const user = SEED_USERS[want];
    test(`userIndex=${index}: ${user.user_id}`, async () => {
      const { token } = await fetchTestToken(`?userIndex=${index}`);

      const v = await viewer(token);
      assert.equal(v.status, 200, v.text);
      assert.match(v.contentType, /^application\/json\b/i);
      assert.equal(v.body.id, user.user_id, v.text);
      assert.equal(v.body.name, user.user_details.name, v.text);
      assert.equal(v.body.groupID, ORG, v.text);
      assert.equal(v.body.organizationID, ORG, v.text);
      assert.ok(Array.isArray(v.body.groups), v.text);
      assert.ok(
        v.body.groups.includes(ORG),
        `viewer groups lack ${ORG}: ${v.text}`,
      );

      const u = await getUser(user.user_id);
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.id, user.user_id);
      assert.equal(u.body.name, user.user_details.name);
      // email '' in a client token means "no email" (§5.2).
      assert.equal(u.body.email, user.user_details.email || null, u.text);
      assert.equal(u.body.status, 'active');
      assert.deepEqual(u.body.groups, [ORG], u.text);
      assert.deepEqual(u.body.organizations, [ORG], u.text);
    });
  }

  test('the organization exists, named as in organization_details, with the users as members', async () => {
    for (let i = 0; i < COUNT; i++) {
      await fetchTestToken(`?userIndex=${i}`).then(({ token }) => viewer(token));
    }
    assert.equal(
      psql("SELECT name || '/' || status FROM groups WHERE app_id = :'app' AND id = :'g'", {
        app: APP,
        g: ORG,
      }),
      `${ORG}/active`,
    );
    const members = psql(
      "SELECT user_id FROM group_members WHERE app_id = :'app' AND group_id = :'g' ORDER BY user_id",
      { app: APP, g: ORG },
    ).split('\n');
    for (const u of SEED_USERS) {
      assert.ok(members.includes(u.user_id), `${u.user_id} not in ${members}`);
    }
  });
});

const membersOf = (group) =>
  psql(
    "SELECT coalesce(string_agg(user_id, ',' ORDER BY user_id), '') FROM group_members WHERE app_id = :'app' AND group_id = :'g'",
    { app: APP, g: group },
  );

describe('getClientAuthToken on GET /v1/client/viewer (§12 cases 66-70)', () => {
  const c1 = `${TAG}-c1`;
  const cg = `${TAG}-cg`;

  test('66: user_details creates the user', async () => {
    const v = await viewer(cli({ user_id: c1, user_details: { name: 'C One', email: 'c1@x.io' } }));
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.id, c1);
    assert.equal(v.body.name, 'C One');
    assert.equal(v.body.groupID, null, v.text);
    assert.deepEqual(v.body.groups, [], v.text);

    const u = await getUser(c1);
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.name, 'C One');
    assert.equal(u.body.email, 'c1@x.io');
    assert.equal(u.body.status, 'active');
  });

  test('66: user_details updates an existing user', async () => {
    const v = await viewer(cli({ user_id: c1, user_details: { name: 'C Uno' } }));
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.name, 'C Uno');
    const u = await getUser(c1);
    assert.equal(u.body.name, 'C Uno');
    assert.equal(u.body.email, 'c1@x.io', 'an absent email is left as it was');
  });

  test('67: group_id + group_details create the group and the membership', async () => {
    const v = await viewer(cli({ user_id: c1, group_id: cg, group_details: { name: 'CG' } }));
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.id, c1);
    assert.equal(v.body.groupID, cg, v.text);
    assert.ok(v.body.groups.includes(cg), v.text);
    assert.equal(membersOf(cg), c1);
    assert.equal(
      psql("SELECT name FROM groups WHERE app_id = :'app' AND id = :'g'", { app: APP, g: cg }),
      'CG',
    );
    const u = await getUser(c1);
    assert.deepEqual(u.body.groups, [cg], u.text);
  });

  test('a member with just group_id (no details) is let in', async () => {
    const v = await viewer(cli({ user_id: c1, group_id: cg }));
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.groupID, cg);
  });

  test('organization_id / organization_details (deprecated) work as group_id / group_details', async () => {
    const og = `${TAG}-og`;
    const v = await viewer(
      cli({
        user_id: c1,
        organization_id: og,
        user_details: { name: 'C Uno' },
        organization_details: { name: 'OG' },
      }),
    );
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.organizationID, og, v.text);
    assert.equal(membersOf(og), c1);
  });

  test('a numeric user_id is its string', async () => {
    const id = Number(`9${Date.now()}`);
    assert.ok(Number.isSafeInteger(id));
    const v = await viewer(cli({ user_id: id, user_details: { name: 'Numbered' } }));
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.id, String(id));
  });

  test('68: the wrong secret → 403 invalid signature', async () => {
    const token = getClientAuthToken(APP, `${SECRET}-wrong`, { user_id: c1 });
    expectJson(
      await viewer(token),
      403,
      { error: 'invalid_session - JsonWebTokenError: invalid signature' },
      'wrong secret',
    );
  });

  test('69: an unknown user without user_details → 403 unable to load user', async () => {
    assert.equal(
      psql("SELECT count(*) FROM users WHERE app_id = :'app' AND id = 'nobody'", { app: APP }),
      '0',
      'precondition: no user "nobody"',
    );
    expectJson(await viewer(cli({ user_id: 'nobody' })), 403, refused(unableToLoad('nobody')), 'nobody');
  });

  test('70: HS256 with the right secret → 200', async () => {
    const token = jwt.sign({ project_id: APP, user_id: c1 }, SECRET, {
      algorithm: 'HS256',
      expiresIn: '1 min',
    });
    const v = await viewer(token);
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.id, c1);
  });

  test('app_id instead of project_id (the Python SDK) → 200', async () => {
    const token = jwt.sign({ app_id: APP, user_id: c1 }, SECRET, {
      algorithm: 'HS512',
      expiresIn: '1 min',
    });
    const v = await viewer(token);
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.id, c1);
  });

  test('a token without exp never expires; an exp 2 s ahead is still good', async () => {
    for (const extra of [{ iat: nowSeconds() - 100000 }, { exp: nowSeconds() + 2 }]) {
      const token = jwt.sign({ project_id: APP, user_id: c1, ...extra }, SECRET, {
        algorithm: 'HS512',
        noTimestamp: !('iat' in extra),
      });
      const v = await viewer(token);
      assert.equal(v.status, 200, `${JSON.stringify(extra)}: ${v.text}`);
    }
  });

  test('44: a user PUT with status "deleted" is refused', async () => {
    const d = `${TAG}-deleted`;
    let r = await putUser(d, { name: 'Dee', email: 'dee@x.io' });
    assert.equal(r.status, 200, r.text);
    assert.equal((await viewer(cli({ user_id: d }))).status, 200);
    r = await putUser(d, { status: 'deleted' });
    assert.equal(r.status, 200, r.text);
    const u = await getUser(d);
    assert.equal(u.body.status, 'deleted', u.text);
    expectJson(await viewer(cli({ user_id: d })), 403, refused(unableToLoad(d)), 'deleted user');
    // user_details without a status leave the user deleted (§6.2).
    expectJson(
      await viewer(cli({ user_id: d, user_details: { name: 'Dee Again' } })),
      403,
      refused(unableToLoad(d)),
      'deleted user with user_details',
    );
    // Reactivated through the token's user_details, it is let in again.
    const v = await viewer(cli({ user_id: d, user_details: { status: 'active' } }));
    assert.equal(v.status, 200, v.text);
  });
});

describe('bad client tokens are refused with 403 and create nothing', () => {
  const p = `${TAG}-bad`;
  const member = `${p}-member`; // exists, in group `${p}-grp`
  const other = `${p}-other`; // exists, in no group
  const deleted = `${p}-deleted`;
  const group = `${p}-grp`;
  const freshUser = (n) => `${p}-u${n}`; // never created
  const freshGroup = (n) => `${p}-g${n}`; // never created
  const details = (n) => ({ name: `Bad ${n}`, email: `bad${n}@x.io` });

  const counts = () =>
    psql(
      "SELECT (SELECT count(*) FROM users WHERE app_id = :'app' AND id LIKE :'like') || ',' || " +
        "(SELECT count(*) FROM groups WHERE app_id = :'app' AND id LIKE :'like') || ',' || " +
        "(SELECT count(*) FROM group_members WHERE app_id = :'app' AND (user_id LIKE :'like' OR group_id LIKE :'like'))",
      { app: APP, like: `%${p}%` },
    );
  const appRows = (app) =>
    psql(
      "SELECT (SELECT count(*) FROM users WHERE app_id = :'app') + (SELECT count(*) FROM groups WHERE app_id = :'app')",
      { app },
    );
  let baseline;
  const unknownApp = randomUUID();

  before(async () => {
    let v = await viewer(
      cli({ user_id: member, user_details: { name: 'M' }, group_id: group, group_details: { name: 'G' } }),
    );
    assert.equal(v.status, 200, v.text);
    v = await viewer(cli({ user_id: other, user_details: { name: 'O' } }));
    assert.equal(v.status, 200, v.text);
    let r = await putUser(deleted, { name: 'D', email: 'd@x.io' });
    assert.equal(r.status, 200, r.text);
    r = await putUser(deleted, { status: 'deleted' });
    assert.equal(r.status, 200, r.text);
    baseline = counts();
    assert.equal(baseline, '3,1,1');
  });

  // [what, Authorization header value or token, expected body or a
  // predicate on the error message]
  const exact = (inner) => (msg) => assert.equal(msg, `invalid_session - ${inner}`);
  const prefixed = (msg) => assert.match(msg, /^invalid_session - ./);
  const noProject = (payload) =>
    `Invalid ClientAuthTokenData:\nInput ${JSON.stringify(payload)} requires field: project_id.\nRefer to ${REFER}`;
  const cases = [
    {
      what: 'wrong secret (with user and group details)',
      token: () =>
        getClientAuthToken(APP, `${SECRET}x`, {
          user_id: freshUser(1),
          user_details: details(1),
          group_id: freshGroup(1),
          group_details: { name: 'G1' },
        }),
      check: exact('JsonWebTokenError: invalid signature'),
    },
    {
      what: 'unknown user, no user_details',
      token: () => cli({ user_id: freshUser(2) }),
      check: exact(unableToLoad(freshUser(2))),
    },
    {
      what: 'deleted user',
      token: () => cli({ user_id: deleted }),
      check: exact(unableToLoad(deleted)),
    },
    {
      what: 'a group the user is not in',
      token: () => cli({ user_id: other, group_id: group }),
      check: exact('The user is not a member of the group.'),
    },
    {
      what: 'a group that does not exist, no details',
      token: () => cli({ user_id: other, group_id: freshGroup(3) }),
      check: exact(`Platform group ${freshGroup(3)} not found.`),
    },
    {
      what: 'group_details without group_id',
      token: () =>
        cli({ user_id: freshUser(4), user_details: details(4), group_details: { name: 'G4' } }),
      check: exact(
        'Specified group_details to create/update a group, but not a group_id to create/update.',
      ),
    },
    {
      what: 'no app_id / project_id',
      token: () =>
        jwt.sign({ user_id: freshUser(5), user_details: details(5) }, SECRET, {
          algorithm: 'HS512',
          expiresIn: '1 min',
        }),
      check: (msg, token) => exact(noProject(jwt.decode(token)))(msg),
    },
    {
      what: 'user_details with email "bad"',
      token: () =>
        cli({
          user_id: freshUser(6),
          user_details: { name: 'Bad 6', email: 'bad' },
          group_id: freshGroup(6),
          group_details: { name: 'G6' },
        }),
      check: exact(
        `Invalid ClientAuthTokenData:\nInput "bad" for user_details/email must match format "email".\nRefer to ${REFER}`,
      ),
    },
    {
      what: 'an unknown app',
      token: () =>
        getClientAuthToken(unknownApp, SECRET, { user_id: freshUser(7), user_details: details(7) }),
      check: exact(`Platform project ${unknownApp} not found.`),
    },
    {
      what: 'alg none',
      token: () =>
        jwt.sign({ project_id: APP, user_id: freshUser(8), user_details: details(8) }, null, {
          algorithm: 'none',
        }),
      check: exact('JsonWebTokenError: jwt signature is required'),
    },
    {
      what: 'expired (exp 2 s ago; no tolerance for client tokens)',
      token: () =>
        jwt.sign(
          {
            project_id: APP,
            user_id: freshUser(9),
            user_details: details(9),
            iat: nowSeconds() - 62,
            exp: nowSeconds() - 2,
          },
          SECRET,
          { algorithm: 'HS512' },
        ),
      check: exact('TokenExpiredError: jwt expired'),
    },
    {
      what: 'a new group without a name',
      token: () =>
        cli({
          user_id: freshUser(10),
          user_details: details(10),
          group_id: freshGroup(10),
          group_details: { metadata: { a: 1 } },
        }),
      check: exact(
        'Invalid UpdatePlatformGroupVariables:\nGroup does not exist, "name" is a required field to create a new group.',
      ),
    },
    {
      what: 'group_details.members naming an unknown user',
      token: () =>
        cli({
          user_id: freshUser(11),
          user_details: details(11),
          group_id: freshGroup(11),
          group_details: { name: 'G11', members: [freshUser(11), `${p}-ghost`] },
        }),
      check: exact(`Platform user ${p}-ghost not found.`),
    },
    {
      what: 'group_id + group_details for an unknown user without user_details',
      token: () =>
        cli({ user_id: freshUser(12), group_id: freshGroup(12), group_details: { name: 'G12' } }),
      check: exact(
        `Platform user ${freshUser(12)} not found. If you wanted to create a new user, add ` +
          'user_details to your request. Refer to ' +
          'https://docs.cord.com/reference/authentication#JSON-user-details for details.',
      ),
    },
    {
      what: 'user_details and a group_id that does not exist (no group_details)',
      token: () => cli({ user_id: freshUser(13), user_details: details(13), group_id: freshGroup(13) }),
      // As POST /v1/groups/<id>/members {add:[user_id]} (§3.7.3 step 8, §7.6).
      check: exact(
        `Platform group ${freshGroup(13)} not found. If you wanted to create a new group, add ` +
          'group_details to your request. Refer to ' +
          'https://docs.cord.com/reference/authentication#JSON-group-details for details.',
      ),
    },
    {
      what: 'a user id starting with cord: and user_details',
      token: () => cli({ user_id: `cord:${freshUser(14)}`, user_details: details(14) }),
      check: exact('Input type for userID is not valid, expected identifier.'),
    },
    {
      what: 'user_details with an unexpected field',
      token: () => cli({ user_id: freshUser(15), user_details: { ...details(15), id: 'x' } }),
      check: exact(
        `Invalid ClientAuthTokenData:\nInput ${JSON.stringify({ ...details(15), id: 'x' })} has unexpected field: id.\nRefer to ${REFER}`,
      ),
    },
    {
      what: 'lower-case "bearer" prefix on a good token',
      authorization: () => `bearer ${cli({ user_id: freshUser(16), user_details: details(16) })}`,
      check: exact('Malformed authorization header: no type prefix'),
    },
    {
      what: 'Authorization: Bearer x',
      authorization: () => 'Bearer x',
      check: prefixed,
    },
    {
      what: 'Authorization: Basic y',
      authorization: () => 'Basic y',
      check: exact('Malformed authorization header: no type prefix'),
    },
    {
      what: 'no Authorization header at all',
      authorization: () => undefined,
      check: prefixed,
    },
    {
      what: 'a server auth token',
      token: () => server(),
      check: prefixed,
    },
  ];

  for (const c of cases) {
    test(c.what, async () => {
      let res;
      let token;
      if (c.authorization) {
        res = await call('GET', '/v1/client/viewer', { authorization: c.authorization() });
      } else {
        token = c.token();
        res = await viewer(token);
      }
      const ctx = `${c.what}: got ${res.status} ${res.text}`;
      assert.equal(res.status, 403, ctx);
      assert.match(res.contentType, /^application\/json\b/i, ctx);
      assert.deepEqual(Object.keys(res.body ?? {}), ['error'], ctx);
      assert.equal(typeof res.body.error, 'string', ctx);
      c.check(res.body.error, token);
    });
  }

  test('none of them created a user, group or membership', () => {
    assert.equal(counts(), baseline, 'users,groups,memberships with the test prefix');
    assert.equal(appRows(unknownApp), '0');
  });
});

// `cordgate token client`: a curl helper the lead added alongside
// `token server` (tokens.test.mjs). Skipped while the binary lacks it.
function hasTokenClient() {
  try {
    const help = execFileSync(BIN, ['--help'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return /token client/.test(help);
  } catch {
    return false;
  }
}
const TOKEN_CLIENT_SKIP = hasTokenClient()
  ? false
  : `${BIN} --help does not list "token client" yet`;

function tokenClient(args) {
  try {
    return execFileSync(BIN, ['token', 'client', '--app', APP, ...args], {
      env: { ...process.env, CORDGATE_DATABASE_URL: DATABASE_URL },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (e) {
    assert.fail(
      `${BIN} token client ${args.join(' ')} failed (status ${e.status}): ` +
        `${e.stderr || e.stdout || e.message}`,
    );
  }
}

describe('cordgate token client (curl helper)', { skip: TOKEN_CLIENT_SKIP }, () => {
  test('prints a client token that jsonwebtoken verifies and /v1/client/viewer accepts', async () => {
    const user = `${TAG}-cli`;
    const group = `${TAG}-cli-group`;
    // The group must exist: a token with group_id and user_details only adds
    // the user to it (§3.7.3 step 8).
    const made = await viewer(
      cli({ user_id: `${TAG}-cli-owner`, user_details: {}, group_id: group, group_details: { name: 'CLI' } }),
    );
    assert.equal(made.status, 200, made.text);

    const detailsJson = '{"name":"Cli Ent","email":"cli@x.io","metadata":{"n":1.5,"ok":true}}';
    const token = tokenClient(['--user', user, '--group', group, '--details', detailsJson]);
    assert.equal(token.split('.').length, 3, `not a JWT: ${JSON.stringify(token)}`);
    const { header } = jwt.decode(token, { complete: true });
    assert.equal(header.alg, 'HS512');
    const payload = jwt.verify(token, SECRET, { algorithms: ['HS512'] });
    assert.equal(payload.project_id, APP);
    assert.equal(payload.user_id, user);
    assert.equal(payload.group_id, group);
    assert.deepEqual(payload.user_details, JSON.parse(detailsJson));
    assert.ok(Number.isInteger(payload.iat), `iat ${payload.iat}`);
    assert.equal(payload.exp - payload.iat, 60);

    const v = await viewer(token);
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.id, user);
    assert.equal(v.body.name, 'Cli Ent');
    assert.equal(v.body.groupID, group);
    assert.deepEqual(v.body.metadata, { n: 1.5, ok: true });
    assert.equal(membersOf(group), [`${TAG}-cli`, `${TAG}-cli-owner`].sort().join(','));

    // Just --user, for the user it now knows.
    const plain = tokenClient(['--user', user]);
    const p2 = jwt.verify(plain, SECRET, { algorithms: ['HS512'] });
    assert.equal(p2.user_id, user);
    assert.equal(p2.group_id, undefined);
    assert.equal(p2.user_details, undefined);
    const v2 = await viewer(plain);
    assert.equal(v2.status, 200, v2.text);
    assert.equal(v2.body.id, user);
  });
});
