// Groups, organizations, members and batch with the official SDK:
// @cord-sdk/server 1.44.0's fetchCordRESTApi against a running cordgate, and
// the exact request bodies that Cord's Java SDK (batchSyncCordUsersAndOrganizations,
// syncCordOrganization) and its Python sample (sample_code/syncing.py) send.
// cord-api.md §7, §8, §12 cases 50-65; cord-groups-batch.md.
//
// cordgate differs from Cord on purpose (DESIGN §1) where these tests say
// so: a PUT on a group without status keeps its status; duplicate member ids
// are de-duplicated; the same new user id twice in one batch: the last one
// wins; GET /v1/groups/<id> lists its members sorted by id; a batch never
// requires email (a creating PUT /v1/users does).
//
// Run by tests/interop/run.sh; see there for the environment.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { fetchCordRESTApi, getServerAuthToken } from '@cord-sdk/server';
import { APP, BASE_URL, SECRET, psql } from './lib.mjs';

// Every id this file creates starts with TAG, so that the other test files,
// running at the same time against the same app, do not disturb the counts.
const TAG = `gr${randomUUID().slice(0, 8)}`;
const API_URL = `${BASE_URL}/`;

// fetchCordRESTApi as an application calls it.
const api = (endpoint, { method, body } = {}) =>
  fetchCordRESTApi(endpoint, {
    method,
    body,
    project_id: APP,
    project_secret: SECRET,
    api_url: API_URL,
  });

// fetchCordRESTApi throws `Error making Cord API call: <status> <statusText>
// <response text>` on any non-2xx (fetch.ts); returns {status, statusText,
// body} read back from that message.
async function apiError(promise, what) {
  let error;
  try {
    const value = await promise;
    assert.fail(`${what}: resolved with ${JSON.stringify(value)}, expected an error`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    error = e;
  }
  assert.ok(error instanceof Error, `${what}: threw ${error}`);
  const m = /^Error making Cord API call: (\d{3}) (.*?) (\{.*\})$/s.exec(error.message);
  assert.ok(m, `${what}: unexpected error message ${JSON.stringify(error.message)}`);
  const status = Number(m[1]);
  // nginx sends the standard reason phrase.
  assert.equal(m[2], STATUS_CODES[status], `${what}: status text in ${error.message}`);
  return { status, statusText: m[2], body: JSON.parse(m[3]), message: error.message };
}

async function expectApiError(promise, status, body, what) {
  const e = await apiError(promise, what);
  assert.equal(e.status, status, `${what}: ${e.message}`);
  assert.deepEqual(e.body, body, `${what}: ${e.message}`);
  return e;
}

const ok = (message) => ({ success: true, message });
const created = (id) => ok(`✅ You successfully created group ${id}`);
const updated = (id) => ok(`✅ You successfully updated group ${id}`);
const deleted = (id) => ok(`✅ You successfully deleted group ${id}`);
const membersUpdated = ok('✅ You successfully updated group members');
const batched = (users, groups) =>
  ok(
    `✅ You successfully batch updated ${users} user${users === 1 ? '' : 's'} ` +
      `and ${groups} group${groups === 1 ? '' : 's'}`,
  );

const GROUPS_REFER = '\nRefer to https://docs.cord.com/rest-apis/groups/';
const BATCH_REFER = '\nRefer to https://docs.cord.com/rest-apis/batch/';
const groupNotFoundForMembers = (id) =>
  `Platform group ${id} not found. If you wanted to create a new group, add ` +
  'group_details to your request. Refer to ' +
  'https://docs.cord.com/reference/authentication#JSON-group-details for details.';
const userNotFoundForMembers = (id) =>
  `Platform user ${id} not found. If you wanted to create a new user, add ` +
  'user_details to your request. Refer to ' +
  'https://docs.cord.com/reference/authentication#JSON-user-details for details.';

const enc = encodeURIComponent;
// A creating PUT /v1/users needs an email in cordgate (DESIGN §1).
const makeUser = async (id, extra = {}) => {
  const r = await api(`v1/users/${enc(id)}`, {
    method: 'PUT',
    body: { name: `Name ${id}`, email: `${id}@x.io`, ...extra },
  });
  assert.deepEqual(r, ok(`✅ You successfully created user ${id}`));
};
const getGroup = (id) => api(`v1/groups/${enc(id)}`);
const getUser = (id) => api(`v1/users/${enc(id)}`);
const sorted = (ids) => [...ids].sort();

// What the database holds, straight from the tables.
const membersInDb = (group) =>
  psql(
    "SELECT coalesce(string_agg(user_id, ',' ORDER BY user_id), '') FROM group_members " +
      "WHERE app_id = :'app' AND group_id = :'g'",
    { app: APP, g: group },
  );
const groupInDb = (group) =>
  psql("SELECT name || '/' || status FROM groups WHERE app_id = :'app' AND id = :'g'", {
    app: APP,
    g: group,
  });
const userCount = (like) =>
  Number(
    psql("SELECT count(*) FROM users WHERE app_id = :'app' AND id LIKE :'like'", {
      app: APP,
      like,
    }),
  );
// users, groups, memberships whose ids start with prefix.
const countsInDb = (prefix) =>
  psql(
    "SELECT (SELECT count(*) FROM users WHERE app_id = :'app' AND starts_with(id, :'p')) || ',' || " +
      "(SELECT count(*) FROM groups WHERE app_id = :'app' AND starts_with(id, :'p')) || ',' || " +
      "(SELECT count(*) FROM group_members WHERE app_id = :'app' AND " +
      "(starts_with(group_id, :'p') OR starts_with(user_id, :'p')))",
    { app: APP, p: prefix },
  );

const GROUP_KEYS = ['id', 'name', 'status', 'members', 'connectedToSlack', 'metadata'];
const LIST_KEYS = ['id', 'name', 'status', 'connectedToSlack', 'metadata'];
const MEMBER_KEYS = [
  'id',
  'email',
  'status',
  'name',
  'shortName',
  'profilePictureURL',
  'metadata',
  'createdTimestamp',
];

describe('groups through fetchCordRESTApi (§7, cases 50-60)', () => {
  const p = `${TAG}-g`;
  const [u1, u2, u3] = [`${p}-u1`, `${p}-u2`, `${p}-u3`];
  const g1 = `${p}-planet`;

  before(async () => {
    for (const u of [u1, u2, u3]) await makeUser(u);
  });

  test('50: PUT of a new group without a name → 400 missing_field, nothing created', async () => {
    await expectApiError(
      api(`v1/groups/${g1}`, { method: 'PUT', body: { members: [u1] } }),
      400,
      {
        error: 'missing_field',
        message:
          'Invalid UpdatePlatformGroupVariables:\nGroup does not exist, "name" is a required field to create a new group.',
      },
      'PUT new group without name',
    );
    assert.equal(groupInDb(g1), '');
  });

  test('51: PUT creates the group with its members; GET shows it; the users list it', async () => {
    // Members given out of order: GET lists them sorted by id.
    const r = await api(`v1/groups/${g1}`, {
      method: 'PUT',
      body: { name: 'Planet Express', members: [u2, u1] },
    });
    assert.deepEqual(r, created(g1));

    const g = await getGroup(g1);
    assert.deepEqual(Object.keys(g), GROUP_KEYS, JSON.stringify(g));
    assert.deepEqual(g, {
      id: g1,
      name: 'Planet Express',
      status: 'active',
      members: [u1, u2],
      connectedToSlack: false,
      metadata: {},
    });
    for (const u of [u1, u2]) {
      const user = await getUser(u);
      assert.deepEqual(user.groups, [g1], JSON.stringify(user));
      assert.deepEqual(user.organizations, [g1], JSON.stringify(user));
    }
    assert.deepEqual((await getUser(u3)).groups, []);
    assert.equal(membersInDb(g1), `${u1},${u2}`);
  });

  test('PUT on the existing group updates name and metadata, keeps the members', async () => {
    const r = await api(`v1/groups/${g1}`, {
      method: 'PUT',
      body: { name: 'PE', metadata: { plan: 'pro', seats: 3, beta: true } },
    });
    assert.deepEqual(r, updated(g1));
    assert.deepEqual(await getGroup(g1), {
      id: g1,
      name: 'PE',
      status: 'active',
      members: [u1, u2],
      connectedToSlack: false,
      metadata: { plan: 'pro', seats: 3, beta: true },
    });
    // metadata is replaced, never merged (§5.4).
    await api(`v1/groups/${g1}`, { method: 'PUT', body: { metadata: { plan: 'free' } } });
    assert.deepEqual((await getGroup(g1)).metadata, { plan: 'free' });
  });

  test('status deleted hides the group from its users; a PUT without status keeps it deleted (cordgate)', async () => {
    assert.deepEqual(
      await api(`v1/groups/${g1}`, { method: 'PUT', body: { status: 'deleted' } }),
      updated(g1),
    );
    assert.equal((await getGroup(g1)).status, 'deleted');
    assert.equal(groupInDb(g1), 'PE/deleted');
    // Only active groups are listed on the user (§6.3).
    assert.deepEqual((await getUser(u1)).groups, []);
    assert.deepEqual((await getUser(u1)).organizations, []);

    // Cord reactivates here; cordgate leaves the status alone (DESIGN §1).
    assert.deepEqual(
      await api(`v1/groups/${g1}`, { method: 'PUT', body: { name: 'Planet Express' } }),
      updated(g1),
    );
    const g = await getGroup(g1);
    assert.equal(g.status, 'deleted', JSON.stringify(g));
    assert.equal(g.name, 'Planet Express');
    assert.deepEqual(g.members, [u1, u2], 'members of a deleted group are kept');

    assert.deepEqual(
      await api(`v1/groups/${g1}`, { method: 'PUT', body: { status: 'active' } }),
      updated(g1),
    );
    assert.equal((await getGroup(g1)).status, 'active');
    assert.deepEqual((await getUser(u1)).groups, [g1]);
  });

  test('PUT members replaces the membership; duplicates are de-duplicated (cordgate)', async () => {
    // Cord answers `Platform user  not found.` to duplicates (§7.7).
    assert.deepEqual(
      await api(`v1/groups/${g1}`, { method: 'PUT', body: { members: [u3, u2, u3, u2] } }),
      updated(g1),
    );
    assert.deepEqual((await getGroup(g1)).members, [u2, u3]);
    assert.equal(membersInDb(g1), `${u2},${u3}`);
    assert.deepEqual((await getUser(u1)).groups, []);

    // members: [] empties the group.
    await api(`v1/groups/${g1}`, { method: 'PUT', body: { members: [] } });
    assert.deepEqual((await getGroup(g1)).members, []);
    await api(`v1/groups/${g1}`, { method: 'PUT', body: { members: [u1, u2] } });
    assert.deepEqual((await getGroup(g1)).members, [u1, u2]);
  });

  test('a numeric member id is its string (schema ID)', async () => {
    const n = Number(`7${Date.now()}`);
    assert.ok(Number.isSafeInteger(n));
    await makeUser(String(n));
    const g = `${p}-numeric`;
    assert.deepEqual(
      await api(`v1/groups/${g}`, { method: 'PUT', body: { name: 'N', members: [n] } }),
      created(g),
    );
    assert.deepEqual((await getGroup(g)).members, [String(n)]);
    assert.deepEqual(await api(`v1/groups/${g}`, { method: 'DELETE' }), deleted(g));
  });

  test('52: unknown members → 401 user_not_found naming them all; nothing created', async () => {
    const g2 = `${p}-g2`;
    const [ghost1, ghost2, ghost3] = [`${p}-ghost1`, `${p}-ghost2`, `${p}-ghost3`];
    await expectApiError(
      api(`v1/groups/${g2}`, { method: 'PUT', body: { name: 'X', members: [ghost1, ghost2] } }),
      401,
      { error: 'user_not_found', message: `Platform users ${ghost1} and ${ghost2} not found.` },
      'PUT new group with two unknown members',
    );
    await expectApiError(
      getGroup(g2),
      404,
      { error: 'group_not_found', message: 'Platform group not found.' },
      'GET the group that was not created',
    );
    // Three or more: an Oxford comma (combine, common/util/index.ts).
    await expectApiError(
      api(`v1/groups/${g2}`, {
        method: 'PUT',
        body: { name: 'X', members: [u1, ghost1, ghost2, ghost3] },
      }),
      401,
      {
        error: 'user_not_found',
        message: `Platform users ${ghost1}, ${ghost2}, and ${ghost3} not found.`,
      },
      'three unknown members',
    );
    assert.equal(groupInDb(g2), '');
    // On an existing group: the whole update rolls back.
    await expectApiError(
      api(`v1/groups/${g1}`, { method: 'PUT', body: { name: 'Renamed', members: [u3, ghost1] } }),
      401,
      { error: 'user_not_found', message: `Platform user ${ghost1} not found.` },
      'PUT existing group with an unknown member',
    );
    assert.equal(groupInDb(g1), 'Planet Express/active');
    assert.equal(membersInDb(g1), `${u1},${u2}`);
  });

  test('53: a name that is not a string → 400 invalid_request', async () => {
    await expectApiError(
      api(`v1/groups/${g1}`, { method: 'PUT', body: { name: 123 } }),
      400,
      {
        error: 'invalid_request',
        message: `Invalid UpdatePlatformGroupVariables:\nInput 123 for name must be type string.${GROUPS_REFER}`,
      },
      'name 123',
    );
  });

  test('60: GET v1/groups lists the groups with exactly id, name, status, connectedToSlack, metadata', async () => {
    const list = await api('v1/groups');
    assert.ok(Array.isArray(list), JSON.stringify(list).slice(0, 200));
    for (const g of list) assert.deepEqual(Object.keys(g), LIST_KEYS, JSON.stringify(g));
    const mine = list.find((g) => g.id === g1);
    assert.deepEqual(mine, {
      id: g1,
      name: 'Planet Express',
      status: 'active',
      connectedToSlack: false,
      metadata: { plan: 'free' },
    });
  });
});

describe('POST v1/groups/<id>/members through fetchCordRESTApi (§7.6, cases 54-57)', () => {
  const p = `${TAG}-m`;
  const [u1, u2, u3] = [`${p}-u1`, `${p}-u2`, `${p}-u3`];
  // The docs' example: fetchCordRESTApi('v1/groups/my_favorite_group/members', ...)
  const group = `${p}-my_favorite_group`;
  const ghost = `${p}-ghost`;

  before(async () => {
    for (const u of [u1, u2, u3]) await makeUser(u);
    assert.deepEqual(
      await api(`v1/groups/${group}`, { method: 'PUT', body: { name: 'Favourites' } }),
      created(group),
    );
  });

  test("the docs' example: {add: [...]} adds the users", async () => {
    const r = await fetchCordRESTApi(`v1/groups/${group}/members`, {
      method: 'POST',
      project_id: APP,
      project_secret: SECRET,
      api_url: API_URL,
      body: { add: [u1, u2] },
    });
    assert.deepEqual(r, membersUpdated);
    assert.deepEqual((await getGroup(group)).members, [u1, u2]);
    assert.deepEqual((await getUser(u1)).groups, [group]);
  });

  test('adding a member twice and removing a non-member are no-ops', async () => {
    assert.deepEqual(
      await api(`v1/groups/${group}/members`, { method: 'POST', body: { add: [u1, u1] } }),
      membersUpdated,
    );
    assert.deepEqual(
      await api(`v1/groups/${group}/members`, { method: 'POST', body: { remove: [u3] } }),
      membersUpdated,
    );
    assert.equal(membersInDb(group), `${u1},${u2}`);
    // {} is a valid no-op.
    assert.deepEqual(
      await api(`v1/groups/${group}/members`, { method: 'POST', body: {} }),
      membersUpdated,
    );
    assert.equal(membersInDb(group), `${u1},${u2}`);
  });

  test('57: {remove: [...]} removes; add and remove in one request', async () => {
    assert.deepEqual(
      await api(`v1/groups/${group}/members`, { method: 'POST', body: { remove: [u1] } }),
      membersUpdated,
    );
    assert.deepEqual((await getGroup(group)).members, [u2]);
    assert.deepEqual((await getUser(u1)).groups, []);
    assert.deepEqual(
      await api(`v1/groups/${group}/members`, {
        method: 'POST',
        body: { add: [u3, u1], remove: [u2] },
      }),
      membersUpdated,
    );
    assert.deepEqual((await getGroup(group)).members, [u1, u3]);
  });

  test('54: the same id added and removed → 400 invalid_field', async () => {
    await expectApiError(
      api(`v1/groups/${group}/members`, { method: 'POST', body: { add: [u2], remove: [u2] } }),
      400,
      { error: 'invalid_field', message: `Platform member ${u2} both added and removed.` },
      'add and remove the same id',
    );
    assert.equal(membersInDb(group), `${u1},${u3}`);
  });

  test('55: a group that does not exist → 401 group_not_found', async () => {
    const nope = `${p}-nope`;
    await expectApiError(
      api(`v1/groups/${nope}/members`, { method: 'POST', body: { add: [u1] } }),
      401,
      { error: 'group_not_found', message: groupNotFoundForMembers(nope) },
      'members of a missing group',
    );
    assert.equal(groupInDb(nope), '');
  });

  test('56: adding a missing user → 401 user_not_found from fetchCordRESTApi; nothing written', async () => {
    const before = countsInDb(p);
    const e = await expectApiError(
      api(`v1/groups/${group}/members`, { method: 'POST', body: { add: [u2, ghost] } }),
      401,
      { error: 'user_not_found', message: userNotFoundForMembers(ghost) },
      'add a missing user',
    );
    // The whole message as the SDK writes it: status, status text, body text.
    assert.equal(
      e.message,
      `Error making Cord API call: 401 Unauthorized ${JSON.stringify(e.body)}`,
    );
    // u2, valid and listed first, was not added either: one transaction.
    assert.equal(membersInDb(group), `${u1},${u3}`);
    assert.equal(countsInDb(p), before);
    assert.deepEqual((await getUser(u2)).groups, []);
    await expectApiError(
      getUser(ghost),
      404,
      { error: 'user_not_found', message: 'Platform user not found.' },
      'the missing user was not created',
    );

    // A missing user in remove, with a valid add: nothing is added.
    await expectApiError(
      api(`v1/groups/${group}/members`, { method: 'POST', body: { add: [u2], remove: [ghost] } }),
      401,
      { error: 'user_not_found', message: userNotFoundForMembers(ghost) },
      'remove a missing user',
    );
    assert.equal(membersInDb(group), `${u1},${u3}`);
    assert.equal(countsInDb(p), before);
  });

  test('the organizations alias POST v1/organizations/<id>/members', async () => {
    assert.deepEqual(
      await api(`v1/organizations/${group}/members`, { method: 'POST', body: { add: [u2] } }),
      membersUpdated,
    );
    assert.deepEqual((await getGroup(group)).members, [u1, u2, u3]);
  });
});

describe('GET v1/groups/<id>/members (§7.8)', () => {
  const p = `${TAG}-l`;
  const users = [1, 2, 3, 4, 5].map((i) => `${p}-u${i}`);
  const group = `${p}-grp`;

  before(async () => {
    for (const u of users) await makeUser(u, { shortName: `S${u.slice(-1)}` });
    assert.deepEqual(
      await api(`v1/groups/${group}`, { method: 'PUT', body: { name: 'Listed', members: users } }),
      created(group),
    );
  });

  test('all members with their fields, total, no token', async () => {
    const r = await api(`v1/groups/${group}/members`);
    assert.deepEqual(Object.keys(r), ['users', 'pagination'], JSON.stringify(r));
    assert.deepEqual(r.pagination, { token: null, total: users.length });
    assert.deepEqual(sorted(r.users.map((u) => u.id)), users);
    for (const u of r.users) {
      assert.deepEqual(Object.keys(u), MEMBER_KEYS, JSON.stringify(u));
      assert.equal(u.email, `${u.id}@x.io`);
      assert.equal(u.name, `Name ${u.id}`);
      assert.equal(u.shortName, `S${u.id.slice(-1)}`);
      assert.equal(u.status, 'active');
      assert.equal(u.profilePictureURL, null);
      assert.deepEqual(u.metadata, {});
      assert.equal(typeof u.createdTimestamp, 'string', JSON.stringify(u));
      assert.ok(!Number.isNaN(Date.parse(u.createdTimestamp)), u.createdTimestamp);
    }
  });

  test('limit and token page through every member once', async () => {
    const seen = [];
    let token = null;
    let pages = 0;
    do {
      const q = `?limit=2${token ? `&token=${enc(token)}` : ''}`;
      const r = await api(`v1/groups/${group}/members${q}`);
      assert.equal(r.pagination.total, users.length);
      assert.ok(r.users.length <= 2, JSON.stringify(r));
      seen.push(...r.users.map((u) => u.id));
      token = r.pagination.token;
      pages += 1;
      assert.ok(pages <= 3, `more pages than expected: ${JSON.stringify(r)}`);
      if (token !== null) assert.equal(typeof token, 'string');
    } while (token !== null);
    assert.equal(pages, 3);
    assert.deepEqual(sorted(seen), users);
  });

  test('a missing group → 404 group_not_found; a bad limit → 400', async () => {
    await expectApiError(
      api(`v1/groups/${p}-nope/members`),
      404,
      { error: 'group_not_found', message: 'Platform group not found.' },
      'members of a missing group',
    );
    await expectApiError(
      api(`v1/groups/${group}/members?limit=abc`),
      400,
      { error: 'invalid_field', message: 'Limit must be a number.' },
      'limit=abc',
    );
    await expectApiError(
      api(`v1/groups/${group}/members?token=bm90anNvbg%3D%3D`),
      400,
      { error: 'invalid_field', message: 'Pagination token is not valid' },
      'a token that is not JSON',
    );
  });

  test('there is no GET v1/organizations/<id>/members alias', async () => {
    // 405 in cordgate, since POST exists on that path (DESIGN §1); 404 in Cord.
    const e = await apiError(api(`v1/organizations/${group}/members`), 'organizations members');
    assert.ok([404, 405].includes(e.status), e.message);
  });
});

describe('DELETE v1/groups/<id> (§7.5, case 59)', () => {
  const p = `${TAG}-d`;
  const u1 = `${p}-u1`;
  const group = `${p}-grp`;

  before(async () => {
    await makeUser(u1);
    await api(`v1/groups/${group}`, { method: 'PUT', body: { name: 'Doomed', members: [u1] } });
  });

  test('deletes the group and its memberships, keeps the users', async () => {
    assert.deepEqual((await getUser(u1)).groups, [group]);
    // fetchCordRESTApi sends no body on a DELETE without one.
    assert.deepEqual(await api(`v1/groups/${group}`, { method: 'DELETE' }), deleted(group));
    await expectApiError(
      getGroup(group),
      404,
      { error: 'group_not_found', message: 'Platform group not found.' },
      'GET the deleted group',
    );
    assert.equal(groupInDb(group), '');
    assert.equal(membersInDb(group), '');
    const u = await getUser(u1);
    assert.deepEqual(u.groups, []);
    assert.deepEqual(u.organizations, []);
    assert.ok(!(await api('v1/groups')).some((g) => g.id === group));
  });

  test('deleting it again → 401 group_not_found', async () => {
    await expectApiError(
      api(`v1/groups/${group}`, { method: 'DELETE' }),
      401,
      { error: 'group_not_found', message: 'Platform group not found.' },
      'DELETE a missing group',
    );
  });

  test('a bad path id → 400 invalid_field', async () => {
    await expectApiError(
      api(`v1/groups/${enc(`cord:${p}`)}`, { method: 'DELETE' }),
      400,
      { error: 'invalid_field', message: 'Input type for orgID is not valid, expected identifier.' },
      'DELETE cord:...',
    );
  });
});

// Jackson's default pretty printer, as Cord's Java SDK (com.cord:server
// 0.0.13, Cord.java) serialises its PlatformGroupVariables and
// PlatformUserVariables: an ObjectMapper with Include.NON_NULL (nulls are
// left out), writerWithDefaultPrettyPrinter(): objects one entry per line,
// indented by two spaces per level, `"key" : value`; arrays inline
// `[ a, b ]`, `[ ]` when empty, an object in an array opening on the same
// line; UTF-8 as is. Property order is the classes' field order:
// PlatformUserVariables email, id, name, profile_picture_url, status,
// first_name, last_name, metadata (its @JsonProperty names);
// PlatformGroupVariables name, id, status, members, metadata.
//
// Written out here by hand, as the bytes the SDK sends, so that the test
// does not depend on a serialiser that merely resembles Jackson's.
const JAVA = `${TAG}-j`;
const javaUsers =
  '[ {\n' +
  `  "email" : "${JAVA}-1@x.io",\n` +
  `  "id" : "${JAVA}-1",\n` +
  '  "name" : "Java Één",\n' +
  '  "profile_picture_url" : "https://x.io/java-1.png",\n' +
  '  "status" : "active",\n' +
  '  "first_name" : "Java",\n' +
  '  "last_name" : "Één",\n' +
  '  "metadata" : {\n' +
  '    "plan" : "pro",\n' +
  '    "seats" : 3,\n' +
  '    "beta" : true\n' +
  '  }\n' +
  '}, {\n' +
  `  "email" : "${JAVA}-2@x.io",\n` +
  `  "id" : "${JAVA}-2",\n` +
  '  "name" : "Java Two"\n' +
  '} ]';
const javaOrgs =
  '[ {\n' +
  '  "name" : "Java Org",\n' +
  `  "id" : "${JAVA}-org",\n` +
  '  "status" : "active",\n' +
  `  "members" : [ "${JAVA}-2", "${JAVA}-1" ]\n` +
  '}, {\n' +
  '  "name" : "Java Empty",\n' +
  `  "id" : "${JAVA}-empty",\n` +
  '  "members" : [ ]\n' +
  '} ]';
// batchSyncCordUsersAndOrganizations:
//   String.format("{ \"organizations\": %s, \"users\": %s }", orgs, users)
const JAVA_BATCH = `{ "organizations": ${javaOrgs}, "users": ${javaUsers} }`;
// syncCordOrganization: PUT /v1/organizations/<orgId> with the group object
// (no id: the builder's id was not set).
const JAVA_ORG_PUT =
  '{\n' +
  '  "name" : "Java Synced",\n' +
  '  "status" : "active",\n' +
  `  "members" : [ "${JAVA}-1" ],\n` +
  '  "metadata" : {\n' +
  '    "tier" : "gold"\n' +
  '  }\n' +
  '}';

// Cord's Python sample (sdk-python src/sample_code/syncing.py):
//   json.dumps(obj, default=lambda o: dict((k, v) for k, v in o.__dict__.items() if v),
//              indent=4, allow_nan=False)
// Falsy attributes are dropped (None, "", [], {}); keys come in __init__
// order: PlatformUserVariables id, email, name, shortName, status,
// profilePictureURL, metadata (camelCase attribute names, although the
// constructor's arguments are short_name and profile_picture_url);
// PlatformGroupVariables id, name, status, members. indent=4 means `": "`
// and `","` separators and one value per line; ensure_ascii escapes
// non-ASCII as \\uXXXX.
//   "{{ \"organizations\": {}, \"users\": {} }}".format(toJson(orgs), toJson(users))
const PY = `${TAG}-p`;
const pyUsers =
  '[\n' +
  '    {\n' +
  `        "id": "${PY}-1",\n` +
  `        "email": "${PY}-1@x.io",\n` +
  '        "name": "Py Zo\\u00eb",\n' +
  '        "shortName": "Zo\\u00eb",\n' +
  '        "status": "active",\n' +
  '        "profilePictureURL": "https://x.io/py-1.png",\n' +
  '        "metadata": {\n' +
  '            "plan": "pro",\n' +
  '            "seats": 0\n' +
  '        }\n' +
  '    },\n' +
  '    {\n' +
  `        "id": "${PY}-2",\n` +
  '        "name": "Py Two"\n' +
  '    }\n' +
  ']';
const pyOrgs =
  '[\n' +
  '    {\n' +
  `        "id": "${PY}-org",\n` +
  '        "name": "Py Org",\n' +
  '        "members": [\n' +
  `            "${PY}-1",\n` +
  `            "${PY}-2"\n` +
  '        ]\n' +
  '    }\n' +
  ']';
const PY_BATCH = `{ "organizations": ${pyOrgs}, "users": ${pyUsers} }`;

// The Java SDK's server auth token: {project_id, iat, exp}, HS512, typ JWT
// (Cord.getServerAuthToken; a 64-byte secret is used as is).
const javaServerToken = () =>
  jwt.sign({ project_id: APP }, SECRET, { algorithm: 'HS512', expiresIn: 60 });

// What java.net.http sends for batchSyncCordUsersAndOrganizations.
const javaPost = (path, method, body) =>
  fetch(`${BASE_URL}${path}`, {
    method,
    body,
    headers: {
      authorization: `Bearer ${javaServerToken()}`,
      'Content-Type': 'application/json',
    },
  });

describe('the organizations aliases (§7.2, case 58)', () => {
  const p = `${TAG}-o`;
  const u1 = `${p}-u1`;

  before(async () => {
    await makeUser(u1);
    await makeUser(`${JAVA}-1`);
  });

  test("PUT v1/organizations/<id> with the Java SDK's syncCordOrganization body", async () => {
    const org = `${JAVA}-synced`;
    JSON.parse(JAVA_ORG_PUT); // the fixture is JSON
    const res = await javaPost(`/v1/organizations/${org}`, 'PUT', JAVA_ORG_PUT);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.deepEqual(JSON.parse(text), created(org));
    // The same group through both paths.
    for (const path of [`v1/organizations/${org}`, `v1/groups/${org}`]) {
      assert.deepEqual(await api(path), {
        id: org,
        name: 'Java Synced',
        status: 'active',
        members: [`${JAVA}-1`],
        connectedToSlack: false,
        metadata: { tier: 'gold' },
      });
    }
    // And again through fetchCordRESTApi, the body passed as a string.
    assert.deepEqual(
      await api(`v1/organizations/${org}`, { method: 'PUT', body: JAVA_ORG_PUT }),
      updated(org),
    );
    const list = await api('v1/organizations');
    assert.ok(Array.isArray(list));
    const mine = list.find((g) => g.id === org);
    assert.ok(mine, `${org} not in GET v1/organizations`);
    assert.deepEqual(Object.keys(mine), LIST_KEYS);
    assert.deepEqual(await api(`v1/organizations/${org}`, { method: 'DELETE' }), deleted(org));
    assert.equal(groupInDb(org), '');
  });

  test('POST v1/organizations creates (201), then 409 organization_already_exists', async () => {
    const org = `${p}-o1`;
    await expectApiError(
      api('v1/organizations', { method: 'POST', body: { id: org } }),
      400,
      {
        error: 'invalid_request',
        message: `Invalid CreatePlatformOrganizationVariables:\nInput {"id":"${org}"} requires field: name.`,
      },
      'POST organizations without name',
    );
    await expectApiError(
      api('v1/organizations', { method: 'POST', body: { foo: 'bar' } }),
      400,
      {
        error: 'invalid_request',
        message:
          'Invalid CreatePlatformOrganizationVariables:\nInput {"foo":"bar"} requires fields: id and name,\n' +
          'Input {"foo":"bar"} has unexpected field: foo.',
      },
      'POST organizations {foo}',
    );
    assert.equal(groupInDb(org), '');

    // fetchCordRESTApi resolves with the body only: the 201 is checked
    // with the same request through fetch.
    const body = { id: org, name: 'O', members: [u1] };
    const res = await fetch(`${BASE_URL}/v1/organizations`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: {
        Authorization: `Bearer ${getServerAuthToken(APP, SECRET)}`,
        'Content-Type': 'application/json',
      },
    });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    assert.deepEqual(JSON.parse(text), ok(`✅ You successfully created organization ${org}`));
    assert.deepEqual((await api(`v1/organizations/${org}`)).members, [u1]);

    await expectApiError(
      api('v1/organizations', { method: 'POST', body }),
      409,
      {
        error: 'organization_already_exists',
        message:
          `The platform organization with id ${org} already exists, to update organization ` +
          'please make a PUT request to organizations/<ORGANIZATION_ID>.',
      },
      'POST organizations twice',
    );
    // A second fetchCordRESTApi POST of a new one resolves with its body.
    const org2 = `${p}-o2`;
    assert.deepEqual(
      await api('v1/organizations', { method: 'POST', body: { id: org2, name: 'O2' } }),
      ok(`✅ You successfully created organization ${org2}`),
    );
    assert.equal(groupInDb(org2), 'O2/active');
  });

  test('there is no POST v1/groups', async () => {
    const e = await apiError(
      api('v1/groups', { method: 'POST', body: { id: `${p}-x`, name: 'X' } }),
      'POST v1/groups',
    );
    assert.ok([404, 405].includes(e.status), e.message);
    assert.equal(groupInDb(`${p}-x`), '');
  });
});

describe('POST v1/batch (§8, cases 61-65)', () => {
  const p = `${TAG}-b`;

  test('61: users and a group with them as members', async () => {
    const [b1, b2, bg] = [`${p}-b1`, `${p}-b2`, `${p}-bg`];
    const r = await api('v1/batch', {
      method: 'POST',
      body: {
        users: [{ id: b1, name: 'B1' }, { id: b2 }],
        groups: [{ id: bg, name: 'BG', members: [b1, b2] }],
      },
    });
    assert.deepEqual(r, batched(2, 1));
    assert.deepEqual(r.message, '✅ You successfully batch updated 2 users and 1 group');
    const g = await getGroup(bg);
    assert.deepEqual(g, {
      id: bg,
      name: 'BG',
      status: 'active',
      members: [b1, b2],
      connectedToSlack: false,
      metadata: {},
    });
    // No email needed in a batch (cordgate: a creating PUT needs one).
    const u = await getUser(b2);
    assert.equal(u.email, null);
    assert.equal(u.name, null);
    assert.equal(u.status, 'active');
    assert.deepEqual(u.groups, [bg]);
    assert.deepEqual(u.organizations, [bg]);
    assert.equal((await getUser(b1)).name, 'B1');
  });

  test('counts in the message: {} and one user', async () => {
    assert.deepEqual(await api('v1/batch', { method: 'POST', body: {} }), batched(0, 0));
    assert.deepEqual(
      await api('v1/batch', { method: 'POST', body: { users: [{ id: `${p}-one` }] } }),
      batched(1, 0),
    );
  });

  test('62: an unexpected field → 400', async () => {
    await expectApiError(
      api('v1/batch', { method: 'POST', body: { foo: 1 } }),
      400,
      {
        error: 'invalid_request',
        message: `Invalid BatchAPIVariables:\nInput {"foo":1} has unexpected field: foo.${BATCH_REFER}`,
      },
      'batch {foo:1}',
    );
  });

  test('63: an unknown member → 401 user_not_found, nothing written (atomic)', async () => {
    const before = countsInDb(`${p}-atomic`);
    const [b3, bg2, ghost] = [`${p}-atomic-b3`, `${p}-atomic-bg2`, `${p}-atomic-ghost`];
    await expectApiError(
      api('v1/batch', {
        method: 'POST',
        body: { users: [{ id: b3 }], groups: [{ id: bg2, name: 'N', members: [b3, ghost] }] },
      }),
      401,
      { error: 'user_not_found', message: `Platform user ${ghost} not found.` },
      'batch with an unknown member',
    );
    await expectApiError(
      getUser(b3),
      404,
      { error: 'user_not_found', message: 'Platform user not found.' },
      'the batch user was rolled back',
    );
    assert.equal(groupInDb(bg2), '');
    assert.equal(countsInDb(`${p}-atomic`), before);
  });

  test('every missing member of every group is named', async () => {
    const q = `${p}-missing`;
    await expectApiError(
      api('v1/batch', {
        method: 'POST',
        body: {
          groups: [
            { id: `${q}-g1`, name: 'G1', members: [`${q}-x`] },
            { id: `${q}-g2`, name: 'G2', members: [`${q}-y`] },
          ],
        },
      }),
      401,
      { error: 'user_not_found', message: `Platform users ${q}-x and ${q}-y not found.` },
      'two groups with missing members',
    );
    assert.equal(countsInDb(q), '0,0,0');
  });

  test('64: a new group without a name → 400', async () => {
    const g9 = `${p}-g9`;
    await expectApiError(
      api('v1/batch', { method: 'POST', body: { groups: [{ id: g9 }] } }),
      400,
      {
        error: 'invalid_request',
        message: `Invalid CreatePlatformOrganizationVariables:\nInput {"id":"${g9}"} requires field: name.`,
      },
      'batch new group without name',
    );
    assert.equal(groupInDb(g9), '');
  });

  test('65: 10 001 users → 400, nothing written', async () => {
    const q = `${p}-big`;
    const users = Array.from({ length: 10001 }, (_, i) => ({ id: `${q}-${i}` }));
    await expectApiError(
      api('v1/batch', { method: 'POST', body: { users } }),
      400,
      {
        error: 'invalid_request',
        message: `Invalid BatchAPIVariables:\nInput has 10001 items and must NOT have more than 10000 items.${BATCH_REFER}`,
      },
      'batch of 10 001 users',
    );
    assert.equal(userCount(`${q}-%`), 0);
  });

  test('the same new user id twice: the last one wins (cordgate)', async () => {
    const twice = `${p}-twice`;
    const r = await api('v1/batch', {
      method: 'POST',
      body: {
        users: [
          { id: twice, name: 'First', email: 'first@x.io' },
          { id: twice, name: 'Second', email: 'second@x.io' },
        ],
      },
    });
    // N counts the items, duplicates included.
    assert.deepEqual(r, batched(2, 0));
    const u = await getUser(twice);
    assert.equal(u.name, 'Second');
    assert.equal(u.email, 'second@x.io');
    assert.equal(userCount(twice), 1);
  });

  test('existing users: only the given fields change, null leaves a field as a PUT does (cordgate); existing groups keep their status', async () => {
    const u = `${p}-upd`;
    const g = `${p}-upd-g`;
    await makeUser(u, { shortName: 'Old' });
    await api(`v1/groups/${g}`, { method: 'PUT', body: { name: 'G', status: 'deleted' } });
    assert.deepEqual(
      await api('v1/batch', {
        method: 'POST',
        body: {
          users: [{ id: u, name: 'New Name', email: null }],
          groups: [{ id: g, name: 'G2', members: [u, u] }],
        },
      }),
      batched(1, 1),
    );
    const got = await getUser(u);
    assert.equal(got.name, 'New Name');
    // Cord's batch clears a field on null (and 500s on name: null);
    // cordgate's batch updates as a PUT does: null leaves it.
    assert.equal(got.email, `${u}@x.io`, 'email: null leaves it (cordgate)');
    assert.equal(got.shortName, 'Old', 'an absent field is left as it was');
    // Batch never touches the status of an existing group unless given.
    const grp = await getGroup(g);
    assert.equal(grp.status, 'deleted');
    assert.equal(grp.name, 'G2');
    assert.deepEqual(grp.members, [u]);
  });

  test('organizations is used when groups is absent, ignored when both are given', async () => {
    const q = `${p}-orgs`;
    await makeUser(`${q}-u`);
    assert.deepEqual(
      await api('v1/batch', {
        method: 'POST',
        body: { organizations: [{ id: `${q}-o`, name: 'O', members: [`${q}-u`] }] },
      }),
      batched(0, 1),
    );
    assert.equal(membersInDb(`${q}-o`), `${q}-u`);
    assert.deepEqual(
      await api('v1/batch', {
        method: 'POST',
        body: {
          groups: [{ id: `${q}-g`, name: 'G' }],
          organizations: [
            { id: `${q}-ignored-1`, name: 'I' },
            { id: `${q}-ignored-2`, name: 'I' },
          ],
        },
      }),
      batched(0, 1),
    );
    assert.equal(groupInDb(`${q}-g`), 'G/active');
    assert.equal(groupInDb(`${q}-ignored-1`), '');
  });

  test("the Java SDK's batchSyncCordUsersAndOrganizations body, byte for byte", async () => {
    // Both fixtures parse as the JSON they stand for.
    const parsed = JSON.parse(JAVA_BATCH);
    assert.deepEqual(Object.keys(parsed), ['organizations', 'users']);
    assert.equal(parsed.users[0].name, 'Java Één');
    // The user JAVA-1 exists already (made by PUT in the organizations
    // tests, or here): the batch updates it. JAVA-2 is new, without email.
    if (userCount(`${JAVA}-1`) === 0) await makeUser(`${JAVA}-1`);

    const res = await javaPost('/v1/batch', 'POST', JAVA_BATCH);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.deepEqual(JSON.parse(text), batched(2, 2));

    const u1 = await getUser(`${JAVA}-1`);
    assert.equal(u1.name, 'Java Één', 'UTF-8 name');
    assert.equal(u1.email, `${JAVA}-1@x.io`);
    assert.equal(u1.profilePictureURL, 'https://x.io/java-1.png');
    assert.equal(u1.profile_picture_url, 'https://x.io/java-1.png');
    assert.equal(u1.status, 'active');
    // first_name / last_name are accepted and ignored (§5.6).
    assert.equal(u1.first_name, null);
    assert.equal(u1.last_name, null);
    assert.deepEqual(u1.metadata, { plan: 'pro', seats: 3, beta: true });
    assert.deepEqual(sorted(u1.groups), [`${JAVA}-org`]);
    const u2 = await getUser(`${JAVA}-2`);
    assert.equal(u2.name, 'Java Two');
    assert.equal(u2.email, `${JAVA}-2@x.io`);

    assert.deepEqual(await getGroup(`${JAVA}-org`), {
      id: `${JAVA}-org`,
      name: 'Java Org',
      status: 'active',
      members: [`${JAVA}-1`, `${JAVA}-2`],
      connectedToSlack: false,
      metadata: {},
    });
    assert.deepEqual((await getGroup(`${JAVA}-empty`)).members, []);

    // The same bytes again: now everything exists; an update, same answer.
    const again = await javaPost('/v1/batch', 'POST', JAVA_BATCH);
    const againText = await again.text();
    assert.equal(again.status, 200, againText);
    assert.deepEqual(JSON.parse(againText), batched(2, 2));
    assert.equal(membersInDb(`${JAVA}-org`), `${JAVA}-1,${JAVA}-2`);
  });

  test("the Python sample's batch_sync_cord_users_and_organizations body, byte for byte", async () => {
    const parsed = JSON.parse(PY_BATCH);
    assert.equal(parsed.users[0].name, 'Py Zoë');
    assert.match(PY_BATCH, /Zo\\u00eb/, 'the fixture keeps the \\u escape');
    // fetchCordRESTApi passes a string body through unchanged.
    const r = await api('v1/batch', { method: 'POST', body: PY_BATCH });
    assert.deepEqual(r, batched(2, 1));

    const u1 = await getUser(`${PY}-1`);
    assert.equal(u1.name, 'Py Zoë');
    assert.equal(u1.email, `${PY}-1@x.io`);
    assert.deepEqual(u1.metadata, { plan: 'pro', seats: 0 });
    assert.deepEqual(u1.groups, [`${PY}-org`]);
    // The sample writes camelCase shortName / profilePictureURL. Cord's
    // batch accepts and drops them (§8); cordgate stores them, as a PUT
    // does (README, compatibility notes).
    assert.equal(u1.shortName, 'Zoë', JSON.stringify(u1));
    assert.equal(u1.profilePictureURL, 'https://x.io/py-1.png', JSON.stringify(u1));
    const u2 = await getUser(`${PY}-2`);
    assert.equal(u2.name, 'Py Two');
    assert.equal(u2.email, null, 'no email in the sample user: none needed');
    assert.deepEqual((await getGroup(`${PY}-org`)).members, [`${PY}-1`, `${PY}-2`]);
  });
});

// A last look, after every test of this file: a failed call wrote nothing
// under the prefixes that only failing calls used.
describe('nothing left behind by refused requests', () => {
  test('no user, group or membership under the refused ids', () => {
    for (const prefix of [`${TAG}-b-atomic`, `${TAG}-b-missing`, `${TAG}-b-big`, `${TAG}-g-ghost`]) {
      assert.equal(countsInDb(prefix), '0,0,0', prefix);
    }
    assert.equal(groupInDb(`${TAG}-g-g2`), '');
    assert.equal(groupInDb(`${TAG}-b-g9`), '');
  });
});
