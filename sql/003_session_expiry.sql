-- Sessions are deleted once no token can use them any more: expired ones
-- by expires_at, revoked ones (expires_at NULL) a day after they were
-- issued, when their access token's own exp has passed.  The purge takes
-- them in small batches off these indexes (store/sessions.c), so that the
-- table stays the size of the live sessions.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_revoked_by_issue ON sessions (issued_at)
    WHERE expires_at IS NULL;
