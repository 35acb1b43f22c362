// The quickstart's demo page in Chromium: each test user, a random one per
// load, the browser's CORS check against another origin, and a tampered
// token. tests/browser/run.sh starts the servers and sets BROWSER_*.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} is not set (tests/browser/run.sh sets it)`);
  return v;
};
const PAGE = env('BROWSER_PAGE_URL'); // http://localhost:5173
const API = env('BROWSER_API_URL'); // http://localhost:3337
const APP_ID = env('BROWSER_APP_ID');
const DEMO_DIR = env('BROWSER_DEMO_DIR');
const SHOTS = env('BROWSER_SCREENSHOTS');
const CHROMIUM = env('BROWSER_CHROMIUM');

// The guide's users, in its order (src/testusers.c).
const USERS = [
  { id: 'severusatreides', name: 'Severus Atreides', initials: 'SA' },
  { id: 'minervahalleck', name: 'Minerva Halleck', initials: 'MH' },
  { id: 'hermioneorgana', name: 'Hermione Organa', initials: 'HO' },
  { id: 'jarjarmarvolo', name: 'Jar Jar Marvolo', initials: 'JM' },
];
const GROUP = 'starpotterdunewars';

let browser;
let context;

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  context = await browser.newContext({
    viewport: { width: 1040, height: 760 },
    deviceScaleFactor: 1,
  });
});

after(async () => {
  await browser?.close();
});

// open(URL): a new tab on URL, once the page has finished (ready or
// error), with what the browser said on the way.
async function open(url) {
  const page = await context.newPage();
  const seen = { console: [], errors: [] };
  page.on('console', (m) => seen.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  await page.goto(url);
  await waitDone(page);
  return { page, seen };
}

async function waitDone(page) {
  await page.waitForFunction(() => document.body.dataset.state !== 'loading',
    null, { timeout: 15000 });
  return page.evaluate(() => document.body.dataset.state);
}

const text = (page, sel) => page.locator(sel).innerText();

async function state(page) {
  return page.evaluate(() => document.body.dataset.state);
}

// Fails with what the page shows when it is not ready.
async function assertReady(page, seen) {
  if ((await state(page)) !== 'ready') {
    const shown = await page.locator('#error').innerText();
    assert.fail(`the page shows an error: ${shown}\n${seen.console.join('\n')}`);
  }
  assert.deepEqual(seen.errors, [], 'uncaught errors in the page');
  // Nothing failed to load or was refused (a 404, a style sheet of the
  // wrong type), and the style sheet applies.
  assert.deepEqual(seen.console.filter((l) => /^error/.test(l)), []);
  assert.equal(await page.evaluate(
    () => getComputedStyle(document.body).backgroundColor), 'rgb(244, 245, 248)');
}

// A file server for DIR on a new port of 127.0.0.1, whose config.js points
// at api: the same page on another origin.
async function copyOfPage(api) {
  const server = http.createServer(async (req, res) => {
    const name = new URL(req.url, 'http://x').pathname.replace(/^\/+/, '') ||
      'index.html';
    if (name === 'config.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(`window.cordgateDemo = { api: ${JSON.stringify(api)} };\n`);
      return;
    }
    const types = { html: 'text/html', css: 'text/css', js: 'text/javascript' };
    const type = types[path.extname(name).slice(1)];
    if (!type || name.includes('/')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(path.join(DEMO_DIR, name));
      res.writeHead(200, { 'Content-Type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

// A port of 127.0.0.1 that nothing listens on (it did a moment ago).
async function closedPort() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the demo page', () => {
  test('renders each test user with the right name and group', async () => {
    for (const [i, user] of USERS.entries()) {
      const { page, seen } = await open(`${PAGE}/?userIndex=${i}`);
      await assertReady(page, seen);
      assert.equal(await text(page, '#hello-name'), user.name);
      assert.equal(await text(page, '#viewer-name'), user.name);
      assert.equal(await text(page, '#viewer-id'), user.id);
      assert.equal(await text(page, '#viewer-group'), GROUP);
      assert.equal(await text(page, '#viewer-avatar'), user.initials);
      assert.equal(await text(page, '.users a[aria-current="page"] .label'),
        user.name);

      // The claims shown are the token's: this user, this app, a minute.
      const claims = JSON.parse(await text(page, '#claims'));
      assert.equal(claims.user_id, user.id);
      assert.equal(claims.organization_id, GROUP);
      assert.equal(claims.user_details.name, user.name);
      assert.equal(claims.project_id, APP_ID);
      assert.equal(claims.exp - claims.iat, 60);

      // The group's members: this user and the ones loaded before (the app
      // is the stage's own), the viewer marked.
      const members = await page.locator('#members li code').allInnerTexts();
      assert.deepEqual(members.sort(),
        USERS.slice(0, i + 1).map((u) => u.id).sort());
      assert.equal(await text(page, '#members li.you code'), user.id);
      assert.equal(await text(page, '#members-group'), GROUP);
      assert.ok(await page.locator('#error').isHidden());

      // The request log says what was asked of which origin.
      const log = await page.locator('#requests li').allInnerTexts();
      assert.equal(log.length, 3);
      assert.match(log[0],
        new RegExp(`^GET ${API}/generate-cord-token\\?userIndex=${i}\\s+200 `));
      assert.match(log[1], new RegExp(`^GET ${API}/v1/client/viewer\\s+200 `));
      assert.match(log[2], new RegExp(
        `^GET ${API}/v1/client/groupMembers/${GROUP}\\s+200 `));

      // The expiry counts down.
      const left = async () => {
        const m = (await text(page, '#countdown')).match(/^expires in (\d+) s$/);
        assert.ok(m, 'no countdown');
        return Number(m[1]);
      };
      const first = await left();
      assert.ok(first > 40 && first <= 60, `${first} s left`);
      if (i === 0) {
        await page.waitForTimeout(2100);
        assert.ok(await left() < first, 'the countdown does not count');
      }

      const shot = path.join(SHOTS, `user-${i}-${user.id}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      await page.close();
    }
  });

  test('a reload can give another user', async () => {
    const { page, seen } = await open(`${PAGE}/`);
    const seenIds = new Set();
    for (let n = 0; n < 40 && seenIds.size < 2; n++) {
      if (n > 0) {
        await page.reload();
        await waitDone(page);
      }
      await assertReady(page, seen);
      const id = await text(page, '#viewer-id');
      assert.ok(USERS.some((u) => u.id === id), `unknown user ${id}`);
      seenIds.add(id);
    }
    assert.equal(seenIds.size, 2, 'forty loads gave the same user');
    await page.close();
  });

  test('refuses a page on another origin (CORS)', async () => {
    // The token endpoint does answer, naming the page's origin only...
    const res = await fetch(`${API}/generate-cord-token?userIndex=1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'),
      new URL(PAGE).origin);

    // ...so the same page from elsewhere gets no token from the browser.
    const copy = await copyOfPage(API);
    try {
      const { page, seen } = await open(`${copy.url}/?userIndex=1`);
      assert.equal(await state(page), 'error');
      assert.equal(await text(page, '#error-title'),
        'The browser refused the answer of the token endpoint (CORS)');
      assert.match(await text(page, '#error-detail'),
        new RegExp(`not to this page's origin, ${copy.url}`));
      assert.ok(seen.console.some((line) => line.includes(
        'has been blocked by CORS policy')),
      `Chromium did not report a CORS refusal:\n${seen.console.join('\n')}`);
      const log = await page.locator('#requests li').allInnerTexts();
      assert.equal(log.length, 1, 'a call after the refused one');
      assert.match(log[0], /refused by the browser/);
      assert.equal(await text(page, '#viewer-name'), 'No viewer');
      await page.screenshot({ path: path.join(SHOTS, 'other-origin.png') });
      await page.close();
    } finally {
      await copy.close();
    }

    // A server that is not there is told apart from a refusal.
    const nobody = `http://localhost:${await closedPort()}`;
    const closed = await copyOfPage(nobody);
    try {
      const { page } = await open(`${closed.url}/`);
      assert.equal(await state(page), 'error');
      assert.equal(await text(page, '#error-title'),
        `Nothing answered at ${nobody}`);
      await page.close();
    } finally {
      await closed.close();
    }
  });

  test('shows the viewer call\'s error for a tampered token', async () => {
    const page = await context.newPage();
    // The token as the endpoint signed it, but for another user: the
    // claims change, the signature stays.
    await page.route(`${API}/generate-cord-token*`, async (route) => {
      const res = await route.fetch();
      const { clientAuthToken } = await res.json();
      const [h, p, s] = clientAuthToken.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      claims.user_id = 'jarjarmarvolo';
      claims.user_details.name = 'Jar Jar Marvolo';
      const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
      await route.fulfill({
        response: res,
        json: { clientAuthToken: `${h}.${forged}.${s}` },
      });
    });
    await page.goto(`${PAGE}/?userIndex=1`);
    assert.equal(await waitDone(page), 'error');
    assert.equal(await text(page, '#error-title'),
      'The viewer call answered 403');
    assert.equal(await text(page, '#error-detail'),
      'invalid_session - JsonWebTokenError: invalid signature');
    assert.deepEqual(JSON.parse(await text(page, '#error-body')),
      { error: 'invalid_session - JsonWebTokenError: invalid signature' });
    // The claims shown are the forged ones; no viewer is.
    assert.equal(JSON.parse(await text(page, '#claims')).user_id,
      'jarjarmarvolo');
    assert.equal(await text(page, '#viewer-name'), 'No viewer');
    assert.equal(await text(page, '.users a[aria-current="page"] .label'),
      USERS[1].name, 'a forged name reached the buttons');
    const log = await page.locator('#requests li').allInnerTexts();
    assert.equal(log.length, 2);
    assert.match(log[1], new RegExp(`^GET ${API}/v1/client/viewer\\s+403 `));
    await page.screenshot({ path: path.join(SHOTS, 'tampered-token.png') });
    await page.close();
  });
});
