-- pgbench script of bench/run.sh: the insert of POST /v1/authorize
-- (store_session_create in src/store/sessions.c), a new session of the app.
-- The expiry's format is cordgate's, with its colons as chr(58): pgbench
-- would take ":MI" for a variable.
-- Variables: -D app=<uuid>
INSERT INTO sessions (app_id, expires_at) SELECT :app::uuid, now() + interval '24 hours' WHERE EXISTS (SELECT 1 FROM apps WHERE id = :app::uuid) RETURNING id, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24' || chr(58) || 'MI' || chr(58) || 'SS.MS"Z"');
