<?php
// The PHP-FPM peer of cordgate in bench/run.sh: plain PHP behind PHP-FPM,
// hash_hmac for HS512, pgsql, serving the endpoints bench/run.sh loads on
// cordgate's tables with cordgate's statements (src/store/*.c), as a
// competent PHP engineer would deploy it: OPcache on, APCu, a persistent
// connection (pg_pconnect) with the statements prepared once on it, and
// `pm = static` with cordgate's worker count (bench/README.md).
//
// What it keeps between requests, and why that is what cordgate keeps:
// - the test app's secret and the access-token secret come from the
//   FastCGI parameters (fastcgi_param in the nginx server block), as a PHP
//   application holds its own secrets in its configuration. cordgate reads
//   the access-token secret once per worker and keeps it for the worker's
//   life, and takes the test app from its app cache: neither asks
//   PostgreSQL per request, and neither does this.
// - apps (POST /v1/authorize's lookup) and valid sessions (every bearer
//   request) are cached in APCu for at most CACHE_TTL = 10 s and never past
//   the session's own expiry, as src/cache.c caches them per worker
//   (CACHE_TTL_MS); only valid sessions are cached, as there. APCu is
//   shared by the pool's workers, so PHP misses less often than cordgate's
//   per-worker caches do, never more.
// - nothing else: every PUT, GET and session insert goes to PostgreSQL, as
//   in cordgate.
//
// FastCGI parameters: BENCH_DATABASE_URL, BENCH_APP_ID, BENCH_APP_SECRET,
// BENCH_ACCESS_SECRET.

const CACHE_TTL = 10.0; // seconds, src/cache.h CACHE_TTL_MS

// cordgate's statements, prepared once per connection (cordgate's
// CORDGATE_DB_PREPARED default).
const SQL = [
    'users_upsert' => 'INSERT INTO users AS u (app_id, id, email, name, short_name, status, '
        . 'profile_picture_url, metadata) '
        . 'SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, '
        . "coalesce(\$6::text, 'active'), CASE WHEN \$8::boolean THEN \$7::text END, "
        . "coalesce(\$9::jsonb, '{}') "
        . 'WHERE $3::text IS NOT NULL OR $10::boolean OR EXISTS '
        . '(SELECT 1 FROM users WHERE app_id = $1 AND id = $2) '
        . 'ON CONFLICT (app_id, id) DO UPDATE SET '
        . 'email = coalesce($3, u.email), name = coalesce($4, u.name), '
        . 'short_name = coalesce($5, u.short_name), '
        . 'status = coalesce($6, u.status), '
        . 'profile_picture_url = CASE WHEN $8::boolean THEN $7 '
        . 'ELSE u.profile_picture_url END, '
        . 'metadata = coalesce($9::jsonb, u.metadata), updated_at = now() '
        . 'RETURNING xmax = 0',
    'user_get' => 'SELECT u.id, u.email, u.name, u.short_name, u.status, u.profile_picture_url, '
        . "u.metadata::text, to_char(u.created_at AT TIME ZONE 'UTC', "
        . "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
        . 'coalesce((SELECT json_agg(m.group_id ORDER BY m.group_id) '
        . 'FROM group_members m JOIN groups g '
        . 'ON g.app_id = m.app_id AND g.id = m.group_id '
        . "WHERE m.app_id = u.app_id AND m.user_id = u.id AND g.status = 'active'), "
        . "'[]')::text FROM users u WHERE u.app_id = \$1 AND u.id = \$2",
    'session_create' => "INSERT INTO sessions (app_id, expires_at) "
        . "SELECT \$1, now() + interval '24 hours' "
        . "WHERE EXISTS (SELECT 1 FROM apps WHERE id = \$1) "
        . "RETURNING id, to_char(expires_at AT TIME ZONE 'UTC', "
        . "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
    'session_get' => 'SELECT a.id, a.name, a.secret, s.expires_at IS NULL, '
        . 's.expires_at < now(), (extract(epoch FROM s.expires_at) * 1000)::bigint '
        . 'FROM sessions s JOIN apps a ON a.id = s.app_id WHERE s.id = $1',
    'app_get' => 'SELECT id, name, secret, created_at FROM apps WHERE id = $1',
];

function b64url(string $s): string
{
    return rtrim(strtr(base64_encode($s), '+/', '-_'), '=');
}

function b64url_decode(string $s): string|false
{
    return base64_decode(strtr($s, '-_', '+/'), true);
}

function jwt_sign(array $claims, string $secret): string
{
    $in = b64url('{"alg":"HS512","typ":"JWT"}') . '.'
        . b64url(json_encode($claims, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
    return $in . '.' . b64url(hash_hmac('sha512', $in, $secret, true));
}

// The payload of a JWT, unverified, or null.
function jwt_payload(string $token): ?array
{
    $p = explode('.', $token);
    if (count($p) !== 3) {
        return null;
    }
    $json = b64url_decode($p[1]);
    $claims = $json === false ? null : json_decode($json, true);
    return is_array($claims) ? $claims : null;
}

// HS512 signature, header algorithm, and exp/iat; the claims or null.
function jwt_verify(string $token, string $secret, int $maxAge = 0): ?array
{
    $p = explode('.', $token);
    if (count($p) !== 3) {
        return null;
    }
    $header = json_decode((string) b64url_decode($p[0]), true);
    if (!is_array($header) || ($header['alg'] ?? '') !== 'HS512') {
        return null;
    }
    $sig = hash_hmac('sha512', $p[0] . '.' . $p[1], $secret, true);
    if (!hash_equals(b64url($sig), $p[2])) {
        return null;
    }
    $claims = json_decode((string) b64url_decode($p[1]), true);
    if (!is_array($claims)) {
        return null;
    }
    $now = time();
    if (isset($claims['exp']) && $now >= $claims['exp'] + 30) {
        return null;
    }
    if ($maxAge > 0 && (!isset($claims['iat']) || $now - $claims['iat'] > $maxAge + 30)) {
        return null;
    }
    return $claims;
}

function reply(int $status, $body, array $headers = []): void
{
    http_response_code($status);
    header('Content-Type: application/json; charset=utf-8');
    foreach ($headers as $h) {
        header($h);
    }
    echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
}

function fail(int $status, string $code, string $message): void
{
    reply($status, ['error' => $code, 'message' => $message]);
}

function db()
{
    static $db = null;
    if ($db === null) {
        // One connection per FPM worker, kept across requests.
        $db = pg_pconnect($_SERVER['BENCH_DATABASE_URL']);
        if ($db === false) {
            throw new RuntimeException('database unavailable');
        }
    }
    return $db;
}

// Runs one of SQL by name. A persistent connection outlives the request, and
// so do the statements prepared on it: the first execute on a new
// connection fails (no such statement), prepares them all, and runs again.
function query(string $name, array $params): array
{
    $db = db();
    $res = @pg_execute($db, $name, $params);
    if ($res === false) {
        foreach (SQL as $n => $sql) {
            @pg_prepare($db, $n, $sql);
        }
        $res = pg_execute($db, $name, $params);
        if ($res === false) {
            throw new RuntimeException(pg_last_error($db));
        }
    }
    $rows = pg_fetch_all($res, PGSQL_NUM);
    return $rows === false ? [] : $rows;
}

// An entry of the APCu cache, or null when absent or past its time.
function cache_get(string $key): ?array
{
    $v = apcu_fetch($key);
    return is_array($v) && microtime(true) < $v['until'] ? $v : null;
}

// Keep $v under $key for CACHE_TTL seconds, or until $expires (epoch
// seconds) when that comes first: src/cache.c's cache_put.
function cache_put(string $key, array $v, float $expires = INF): void
{
    $now = microtime(true);
    $v['until'] = min($now + CACHE_TTL, $expires);
    if ($v['until'] > $now) {
        apcu_store($key, $v, (int) ceil($v['until'] - $now));
    }
}

// An app by id: [id, name, secret], from APCu or PostgreSQL (auth_app_get).
function app_get(string $id): ?array
{
    $app = cache_get("app:$id");
    if ($app === null) {
        $r = query('app_get', [$id]);
        if (!$r) {
            return null;
        }
        $app = ['id' => $r[0][0], 'name' => $r[0][1], 'secret' => $r[0][2]];
        cache_put("app:$id", $app);
    }
    return $app;
}

function bearer_app(): ?string
{
    $h = $_SERVER['HTTP_AUTHORIZATION'] ?? '';
    if (strncmp($h, 'Bearer ', 7) !== 0) {
        fail(401, 'invalid_authorization_header', 'Missing bearer token.');
        return null;
    }
    $claims = jwt_verify(substr($h, 7), $_SERVER['BENCH_ACCESS_SECRET']);
    if ($claims === null || !is_string($claims['session_id'] ?? null)) {
        fail(401, 'invalid_access_token', 'Invalid access token.');
        return null;
    }
    $sid = $claims['session_id'];
    $s = cache_get("session:$sid");
    if ($s === null) {
        $r = query('session_get', [$sid]);
        if (!$r || $r[0][3] === 't' || $r[0][4] === 't') {
            fail(401, 'invalid_access_token', 'No valid session found.');
            return null;
        }
        // Only valid sessions are cached, each until its expiry at the
        // latest.
        $s = ['app' => $r[0][0]];
        cache_put("session:$sid", $s, $r[0][5] / 1000);
    }
    return $s['app'];
}

function json_body(): array
{
    $b = json_decode((string) file_get_contents('php://input'), true);
    return is_array($b) ? $b : [];
}

function test_token(): void
{
    $appId = $_SERVER['BENCH_APP_ID'];
    $secret = $_SERVER['BENCH_APP_SECRET'];
    $users = [
        ['user_id' => 'severusatreides', 'organization_id' => 'starpotterdunewars',
            'user_details' => ['email' => 'sevvy@arrakis.spice', 'name' => 'Severus Atreides']],
        ['user_id' => 'minervahalleck', 'organization_id' => 'starpotterdunewars',
            'user_details' => ['email' => '', 'name' => 'Minerva Halleck']],
        ['user_id' => 'hermioneorgana', 'organization_id' => 'starpotterdunewars',
            'user_details' => ['email' => '', 'name' => 'Hermione Organa']],
        ['user_id' => 'jarjarmarvolo', 'organization_id' => 'starpotterdunewars',
            'user_details' => ['email' => 'meesa@lowkey.sith', 'name' => 'Jar Jar Marvolo']],
    ];
    $i = (int) ($_GET['userIndex'] ?? 0);
    $user = $users[(($i % 4) + 4) % 4];
    $now = time();
    $token = jwt_sign($user + [
        'organization_details' => ['name' => 'starpotterdunewars'],
        'project_id' => $appId, 'iat' => $now, 'exp' => $now + 60,
    ], $secret);
    reply(200, ['clientAuthToken' => $token],
        ['Access-Control-Allow-Origin: http://localhost:5173']);
}

function authorize(): void
{
    $token = json_body()['signed_app_token'] ?? null;
    if (!is_string($token)) {
        fail(400, 'missing_field', 'Missing required field: signed_app_token.');
        return;
    }
    $claims = jwt_payload($token);
    if (!is_string($claims['app_id'] ?? null)) {
        fail(401, 'invalid_project_token', 'signed_app_token payload is missing app_id.');
        return;
    }
    $app = app_get($claims['app_id']);
    if ($app === null || jwt_verify($token, $app['secret'], 86400) === null) {
        fail(401, 'invalid_project_token', 'invalid signature');
        return;
    }
    $s = query('session_create', [$app['id']])[0] ?? null;
    if ($s === null) {
        fail(401, 'project_not_found', 'Platform project not found.');
        return;
    }
    $now = time();
    reply(200, [
        'access_token' => jwt_sign(['session_id' => $s[0], 'iat' => $now, 'exp' => $now + 86400],
            $_SERVER['BENCH_ACCESS_SECRET']),
        'expires' => $s[1],
    ]);
}

function user_put(string $appId, string $id): void
{
    $b = json_body();
    $str = fn ($v) => is_string($v) ? $v : null;
    $pic = $b['profilePictureURL'] ?? $b['profile_picture_url'] ?? null;
    $r = query('users_upsert', [
        $appId, $id, $str($b['email'] ?? null), $str($b['name'] ?? null),
        $str($b['shortName'] ?? $b['short_name'] ?? null), $str($b['status'] ?? null),
        $str($pic), $pic !== null ? 't' : 'f',
        isset($b['metadata']) ? json_encode($b['metadata']) : null, 'f',
    ]);
    if (!$r) {
        fail(400, 'invalid_request', "Invalid UpdatePlatformUserVariables:\nInput 1 missing required field email.");
        return;
    }
    reply(200, ['success' => true, 'message' => '✅ You successfully '
        . ($r[0][0] === 't' ? 'created' : 'updated') . " user $id"]);
}

function user_get(string $appId, string $id): void
{
    $r = query('user_get', [$appId, $id]);
    if (!$r) {
        fail(401, 'user_not_found', 'User not found.');
        return;
    }
    $u = $r[0];
    $groups = json_decode($u[8]);
    reply(200, [
        'id' => $u[0], 'email' => $u[1], 'status' => $u[4], 'name' => $u[2],
        'shortName' => $u[3], 'short_name' => $u[3], 'first_name' => null, 'last_name' => null,
        'profilePictureURL' => $u[5], 'profile_picture_url' => $u[5],
        'organizations' => $groups, 'groups' => $groups,
        'metadata' => json_decode($u[6], false), 'groupIDsWithLinkedSlackProfile' => [],
        'createdTimestamp' => $u[7],
    ]);
}

try {
    $method = $_SERVER['REQUEST_METHOD'];
    $path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
    if ($method === 'GET' && $path === '/generate-cord-token') {
        test_token();
    } elseif ($method === 'POST' && $path === '/v1/authorize') {
        authorize();
    } elseif (preg_match('#^/v1/users/([^/]+)/?$#', $path, $m) && ($method === 'PUT' || $method === 'GET')) {
        $appId = bearer_app();
        if ($appId !== null) {
            $method === 'PUT' ? user_put($appId, $m[1]) : user_get($appId, $m[1]);
        }
    } else {
        fail(404, 'not_found', 'Not found.');
    }
} catch (Throwable $e) {
    error_log($e->getMessage());
    fail(500, 'internal', 'Internal error.');
}
