// Shared by the interoperability tests: the environment tests/run.sh
// exports, requests to cordgate, psql queries, exact JSON assertions.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

export function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run these tests with tests/interop/run.sh ` +
        'against a running cordgate',
    );
  }
  return value;
}

export const BASE_URL = env('CORDGATE_TEST_URL').replace(/\/+$/, '');
export const APP = env('CORDGATE_TEST_APP_ID');
export const SECRET = env('CORDGATE_TEST_APP_SECRET');
export const DATABASE_URL = env('CORDGATE_TEST_DATABASE_URL');
export const BIN = env('CORDGATE_TEST_BIN');

// One psql query; :'name' in sql is replaced by vars[name], quoted as a
// literal by psql itself. Returns the unaligned output without the final
// newline.
export function psql(sql, vars = {}) {
  const args = [DATABASE_URL, '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1'];
  for (const [name, value] of Object.entries(vars)) {
    args.push('-v', `${name}=${value}`);
  }
  const out = execFileSync('psql', args, {
    input: `${sql};\n`,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return out.replace(/\n$/, '');
}

// A request to cordgate; returns status, headers, raw text and the parsed
// JSON body (undefined when the body is not JSON). authorization: the whole
// header value (undefined: no header); bearer: a token to send as Bearer.
export async function call(method, path, { bearer, authorization, json, headers } = {}) {
  const h = { ...headers };
  if (bearer !== undefined) h.Authorization = `Bearer ${bearer}`;
  if (authorization !== undefined) h.Authorization = authorization;
  let body;
  if (json !== undefined) {
    h['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  const res = await fetch(BASE_URL + path, { method, headers: h, body });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return {
    status: res.status,
    headers: res.headers,
    contentType: res.headers.get('content-type') ?? '',
    text,
    body: parsed,
  };
}

// Exact status and exact JSON body.
export function expectJson(res, status, body, what) {
  const ctx = `${what}: got ${res.status} ${res.text}`;
  assert.equal(res.status, status, ctx);
  assert.match(res.contentType, /^application\/json\b/i, ctx);
  assert.deepEqual(res.body, body, ctx);
}
