// The demo page's logic: one token, its claims, the viewer and the group's
// members, each step shown as it happens and every failure shown as such.
// Plain JavaScript for any current browser; no build step.
'use strict';

(() => {
  const config = window.cordgateDemo || {};
  const API = String(config.api || 'http://localhost:3337').replace(/\/+$/, '');
  const USERS = document.querySelectorAll('.users a').length;

  const $ = (id) => document.getElementById(id);

  // ?userIndex=N pins a user (the buttons are such links); otherwise a
  // random one of the four, as the guide's page picks at every load.
  const params = new URLSearchParams(location.search);
  let userIndex = parseInt(params.get('userIndex'), 10);
  if (Number.isNaN(userIndex)) {
    userIndex = Math.floor(Math.random() * USERS);
  }

  // ------------------------------------------------------------ drawing

  function hue(text) {
    let h = 0;
    for (const c of text) {
      h = (h * 31 + c.codePointAt(0)) % 360;
    }
    return h;
  }

  function initials(name) {
    const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
    const first = words[0] ? [...words[0]][0] : '?';
    const last = words.length > 1 ? [...words[words.length - 1]][0] : '';
    return (first + last).toUpperCase();
  }

  // An avatar: the profile picture when there is one (initials again if it
  // does not load), else initials on a colour of the name, so that a user
  // has one colour all over the page (the buttons know only names).
  function drawAvatar(el, name, pictureURL) {
    el.textContent = '';
    el.style.background = `hsl(${hue(name || '')} 55% 42%)`;
    if (pictureURL) {
      const img = document.createElement('img');
      img.alt = '';
      img.src = pictureURL;
      img.addEventListener('error', () => {
        img.remove();
        el.textContent = initials(name);
      });
      el.append(img);
    } else {
      el.textContent = initials(name);
    }
  }

  // The buttons start with the guide's names; the viewer's name, once the
  // API has vouched for it, replaces its button's (for other test users).
  function drawUserLinks(viewerName) {
    for (const a of document.querySelectorAll('.users a')) {
      const i = Number(a.dataset.index);
      const label = a.querySelector('.label');
      if (i === userIndex) {
        a.setAttribute('aria-current', 'page');
        if (viewerName) {
          label.textContent = viewerName;
        }
      }
      drawAvatar(a.querySelector('.avatar'), label.textContent, null);
    }
  }

  function logRequest(method, url) {
    const li = document.createElement('li');
    const what = document.createElement('span');
    what.className = 'what';
    what.textContent = `${method} ${url}`;
    const result = document.createElement('span');
    result.className = 'result';
    result.textContent = '…';
    li.append(what, result);
    $('requests').append(li);
    const t0 = performance.now();
    return (ok, text) => {
      li.classList.add(ok ? 'ok' : 'failed');
      result.textContent = `${text} · ${Math.round(performance.now() - t0)} ms`;
    };
  }

  // ------------------------------------------------------------ calls

  class Failure extends Error {
    constructor(title, detail, body) {
      super(title);
      this.title = title;
      this.detail = detail;
      this.body = body;
    }
  }

  // Why a fetch() threw: a request the page may not make (no-cors) still
  // goes out, so when it gets an answer the server is up and it was the
  // browser's CORS check that kept the answer from the page.
  async function whyRefused(url, what) {
    let reachable = false;
    try {
      await fetch(url, { mode: 'no-cors', cache: 'no-store' });
      reachable = true;
    } catch {
      reachable = false;
    }
    if (!reachable) {
      return new Failure(`Nothing answered at ${API}`,
        `The browser could not reach ${url}. Is the quickstart running? ` +
        '(deploy/quickstart.sh status)');
    }
    return new Failure(`The browser refused the answer of ${what} (CORS)`,
      `${API} answered, but not to this page's origin, ${location.origin}, ` +
      'so the browser kept the answer from the page. The token endpoint ' +
      'lets in one origin, CORDGATE_CORS_ORIGIN (http://localhost:5173 by ' +
      'default): open the page there.');
  }

  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

  // call(WHAT, PATH, TOKEN): GET API+PATH and its JSON, or a Failure that
  // says what went wrong.
  async function call(what, path, token) {
    const url = API + path;
    const done = logRequest('GET', url);
    const init = { cache: 'no-store' };
    if (token) {
      init.headers = { Authorization: `Bearer ${token}` };
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch {
      done(false, 'refused by the browser');
      throw await whyRefused(url, what);
    }
    const text = await res.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    done(res.ok, String(res.status));
    if (!res.ok) {
      const said = body && typeof body === 'object'
        ? [body.error, body.message].filter(Boolean).join(': ')
        : '';
      throw new Failure(`${capital(what)} answered ${res.status}`,
        said || res.statusText || 'The answer says no more.', text);
    }
    if (body === null || typeof body !== 'object') {
      throw new Failure(`${capital(what)} did not answer JSON`,
        `GET ${url} answered ${res.status} with this:`, text);
    }
    return body;
  }

  // ------------------------------------------------------------ the token

  function b64urlJSON(segment) {
    const b64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  }

  function decode(token) {
    const parts = token.split('.');
    if (parts.length !== 3) {
      throw new Failure('The token is not a JWT',
        `It has ${parts.length} parts, not 3.`, token);
    }
    try {
      return { header: b64urlJSON(parts[0]), claims: b64urlJSON(parts[1]) };
    } catch (e) {
      throw new Failure('The token does not decode', String(e), token);
    }
  }

  function drawToken(token, claims) {
    const [h, p, s] = token.split('.');
    const el = $('token');
    el.textContent = '';
    for (const [cls, text] of [['h', h], ['dot', '.'], ['p', p], ['dot', '.'],
      ['s', s]]) {
      const span = document.createElement('span');
      span.className = cls;
      span.textContent = text;
      el.append(span);
    }
    el.hidden = false;
    $('claims').textContent = JSON.stringify(claims, null, 2);
    $('claims').hidden = false;
  }

  let timer = null;

  function startCountdown(iat, exp) {
    const span = Math.max(1, exp - iat);
    const tick = () => {
      const left = exp - Date.now() / 1000;
      const box = $('expiry');
      const bar = $('countdown-bar');
      bar.style.width = `${Math.max(0, Math.min(1, left / span)) * 100}%`;
      box.classList.toggle('soon', left > 0 && left <= 15);
      box.classList.toggle('expired', left <= 0);
      if (left > 0) {
        $('countdown').textContent = `expires in ${Math.ceil(left)} s`;
      } else {
        $('countdown').textContent =
          'expired: the API refuses it now; reload for a new one';
        clearInterval(timer);
      }
    };
    clearInterval(timer);
    tick();
    timer = setInterval(tick, 250);
  }

  // ------------------------------------------------------------ the people

  function drawViewer(viewer, email, groupName) {
    $('hello-name').textContent = viewer.displayName || viewer.id;
    $('viewer-name').textContent = viewer.displayName || viewer.id;
    $('viewer-id').textContent = viewer.id;
    $('viewer-email').textContent = email || '';
    $('viewer-group').textContent = groupName && groupName !== viewer.groupID
      ? `${groupName} (${viewer.groupID})` : viewer.groupID || 'none';
    $('viewer-group-line').hidden = false;
    drawAvatar($('viewer-avatar'), viewer.displayName,
      viewer.profilePictureURL);
    $('viewer').removeAttribute('aria-busy');
    document.title = `${viewer.displayName} · cordgate`;
  }

  function drawMembers(groupID, answer, viewerID) {
    $('members-group').textContent = groupID;
    const list = $('members');
    list.textContent = '';
    for (const m of answer.groupMembers) {
      const li = document.createElement('li');
      const avatar = document.createElement('span');
      avatar.className = 'avatar';
      drawAvatar(avatar, m.displayName, m.profilePictureURL);
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = m.displayName || m.id;
      const id = document.createElement('code');
      id.textContent = m.id;
      li.append(avatar, name, id);
      if (m.id === viewerID) {
        li.classList.add('you');
        const you = document.createElement('span');
        you.className = 'chip';
        you.textContent = 'you';
        li.append(you);
      }
      list.append(li);
    }
    const n = answer.groupMembers.length;
    $('members-note').textContent =
      (answer.hasMore ? `The first ${n} members. ` : '') +
      'A test user joins the group the first time its token is used.';
  }

  function showFailure(f) {
    $('error-title').textContent = f.title || 'Something went wrong';
    $('error-detail').textContent = f.detail || String(f);
    const pre = $('error-body');
    pre.hidden = !f.body;
    pre.textContent = f.body || '';
    $('error').hidden = false;
    if ($('viewer').hasAttribute('aria-busy')) {
      $('hello-name').textContent = 'nobody yet';
      $('viewer-name').textContent = 'No viewer';
      $('viewer').classList.add('none');
    }
    document.body.dataset.state = 'error';
  }

  // ------------------------------------------------------------ the run

  async function run() {
    $('api-origin').textContent = API;
    drawUserLinks(null);
    const tokenAnswer = await call('the token endpoint',
      `/generate-cord-token?userIndex=${userIndex}`);
    const token = tokenAnswer.clientAuthToken;
    if (typeof token !== 'string') {
      throw new Failure('The token endpoint gave no clientAuthToken',
        'Its answer has no clientAuthToken string.',
        JSON.stringify(tokenAnswer));
    }
    const { claims } = decode(token);
    const details = claims.user_details || {};
    const group = claims.group_details || claims.organization_details || {};
    drawToken(token, claims);
    if (typeof claims.exp === 'number') {
      startCountdown(typeof claims.iat === 'number' ? claims.iat
        : claims.exp - 60, claims.exp);
    }

    const viewer = await call('the viewer call', '/v1/client/viewer', token);
    drawViewer(viewer, details.email, group.name);
    drawUserLinks(viewer.displayName);
    if (viewer.groupID) {
      const members = await call('the group members call',
        `/v1/client/groupMembers/${encodeURIComponent(viewer.groupID)}`,
        token);
      drawMembers(viewer.groupID, members, viewer.id);
    }
    document.body.dataset.state = 'ready';
  }

  run().catch((e) => {
    showFailure(e instanceof Failure ? e
      : new Failure('The page failed', String(e && e.stack ? e.stack : e)));
  });
})();
