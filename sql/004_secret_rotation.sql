-- Rotating an app's secret (cordgate app rotate-secret): the previous
-- secret keeps verifying the app's tokens until previous_secret_until, so
-- that a fleet can roll its configuration without an outage.
-- secret_created_at says how old the current secret is (cordgate app list).
ALTER TABLE apps
    ADD COLUMN secret_created_at     timestamptz,
    ADD COLUMN previous_secret       text,
    ADD COLUMN previous_secret_until timestamptz;
UPDATE apps SET secret_created_at = created_at;
ALTER TABLE apps
    ALTER COLUMN secret_created_at SET NOT NULL,
    ALTER COLUMN secret_created_at SET DEFAULT now(),
    ADD CONSTRAINT apps_previous_secret_until
        CHECK ((previous_secret IS NULL) = (previous_secret_until IS NULL));

-- The access-token secret rotates the same way, in settings:
-- access_token_secret_previous and access_token_secret_previous_until (an
-- ISO 8601 UTC time) are written by cordgate access-secret rotate.
