-- pgbench script of bench/run.sh: the upsert of PUT /v1/users/<id>
-- (upsert_sql in src/store/users.c) for a body {"email", "name"}, on an id
-- drawn at random from 1..:range (preloaded, so each is an update).
-- pgbench cannot bind a NULL parameter, so the four parameters such a body
-- leaves NULL ($5 short_name, $6 status, $7 picture, $9 metadata) are NULL
-- literals here; every other one is a bound parameter (-M prepared).
-- Variables: -D app=<uuid> -D email=... -D name=... -D f=false -D range=N
\set k random(1, :range)
INSERT INTO users AS u (app_id, id, email, name, short_name, status, profile_picture_url, metadata) SELECT :app::uuid, :k::text, :email::text, :name::text, NULL::text, coalesce(NULL::text, 'active'), CASE WHEN :f::boolean THEN NULL::text END, coalesce(NULL::jsonb, '{}') WHERE :email::text IS NOT NULL OR :f::boolean OR EXISTS (SELECT 1 FROM users WHERE app_id = :app AND id = :k::text) ON CONFLICT (app_id, id) DO UPDATE SET email = coalesce(:email, u.email), name = coalesce(:name, u.name), short_name = coalesce(NULL, u.short_name), status = coalesce(NULL, u.status), profile_picture_url = CASE WHEN :f::boolean THEN NULL ELSE u.profile_picture_url END, metadata = coalesce(NULL::jsonb, u.metadata), updated_at = now() RETURNING xmax = 0;
