-- Each group's member count, kept by the database on every change of
-- group_members (cascades from deleted users included), so that a page of a
-- group's members answers its total without counting them.  The count is
-- spread over 16 rows per group, picked by the transaction id modulo 16,
-- so that concurrent member changes of one group seldom wait on one row
-- (each holds its row until it commits); the total is their sum.  No foreign key: its check
-- would lock the group's row once more per change; a group's counts go
-- with it in the statement that deletes it (store/groups.c).
CREATE TABLE group_member_counts (
    app_id      uuid NOT NULL,
    group_id    text COLLATE "C" NOT NULL,
    shard       smallint NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (app_id, group_id, shard)
);

INSERT INTO group_member_counts (app_id, group_id, shard, n)
SELECT app_id, group_id, 0, count(*) FROM group_members
GROUP BY app_id, group_id;

-- One statement per statement, grouped by group, whatever the rows: a batch
-- that adds 10 000 memberships writes each of its groups' counts once.  A
-- membership that goes with its group (a cascade) has no count to change.
CREATE FUNCTION group_members_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO group_member_counts AS c (app_id, group_id, shard, n)
        SELECT app_id, group_id, txid_current() % 16, count(*)
        FROM added GROUP BY app_id, group_id
        ON CONFLICT (app_id, group_id, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSE
        INSERT INTO group_member_counts AS c (app_id, group_id, shard, n)
        SELECT r.app_id, r.group_id, txid_current() % 16, -count(*)
        FROM removed r
        WHERE EXISTS (SELECT 1 FROM groups g
                      WHERE g.app_id = r.app_id AND g.id = r.group_id)
        GROUP BY r.app_id, r.group_id
        ON CONFLICT (app_id, group_id, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER group_members_added AFTER INSERT ON group_members
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION group_members_count();
CREATE TRIGGER group_members_removed AFTER DELETE ON group_members
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION group_members_count();
