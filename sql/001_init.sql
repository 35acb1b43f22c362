-- The tables of cordgate.  Every table is keyed first by app_id, so the
-- schema can be distributed by application without a redesign.

CREATE TABLE apps (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Access tokens issued by POST /v1/authorize; a NULL expires_at is revoked.
CREATE TABLE sessions (
    app_id      uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    PRIMARY KEY (app_id, id)
);
-- An access token carries only its session id (as Cord's do), so bearer
-- authentication finds the session, and through it the app, by id.
CREATE UNIQUE INDEX sessions_by_id ON sessions (id);

-- Ids are compared and ordered byte for byte ("C"), as they are case
-- sensitive in Cord and keyset pagination needs a stable order.
CREATE TABLE users (
    app_id              uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    id                  text COLLATE "C" NOT NULL,
    email               text,
    name                text,
    short_name          text,
    status              text NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'deleted')),
    profile_picture_url text,
    metadata            jsonb NOT NULL DEFAULT '{}'
                        CHECK (jsonb_typeof(metadata) = 'object' AND NOT
                               jsonb_path_exists(metadata,
                               '$.* ? (@.type() == "object" || @.type() == "array" || @.type() == "null")')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, id)
);
CREATE INDEX users_metadata ON users USING gin (metadata jsonb_path_ops);

CREATE TABLE groups (
    app_id      uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    id          text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    status      text NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'deleted')),
    metadata    jsonb NOT NULL DEFAULT '{}'
                CHECK (jsonb_typeof(metadata) = 'object' AND NOT
                       jsonb_path_exists(metadata,
                       '$.* ? (@.type() == "object" || @.type() == "array" || @.type() == "null")')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, id)
);

CREATE TABLE group_members (
    app_id      uuid NOT NULL,
    group_id    text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, group_id, user_id),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, id)
        ON DELETE CASCADE
);
CREATE INDEX group_members_by_user ON group_members (app_id, user_id);

-- Server-wide settings, e.g. the access-token signing secret.
CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       text NOT NULL
);
