-- The checkout-cycle workload in PostgreSQL (bench/compare). psql variables: items, members, copies, loan_limit.
-- Row locks and one plpgsql call per cycle; the server runs with synchronous_commit = on and fsync = on.

CREATE TABLE items (
    id               integer PRIMARY KEY,
    title            text    NOT NULL,
    copies_total     integer NOT NULL,
    copies_available integer NOT NULL CHECK (copies_available BETWEEN 0 AND copies_total)
);

CREATE TABLE members (
    id           integer PRIMARY KEY,
    email        text    NOT NULL UNIQUE,
    status       text    NOT NULL DEFAULT 'active',
    card_expiry  date    NOT NULL,
    loan_limit   integer NOT NULL,
    active_loans integer NOT NULL DEFAULT 0 CHECK (active_loans BETWEEN 0 AND loan_limit)
);

CREATE TABLE loans (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item           integer     NOT NULL REFERENCES items,
    member         integer     NOT NULL REFERENCES members,
    checked_out_at timestamptz NOT NULL,
    returned_at    timestamptz
);

INSERT INTO items (id, title, copies_total, copies_available)
    SELECT i, 'Title ' || i, :copies, :copies FROM generate_series(1, :items) AS i;
INSERT INTO members (id, email, card_expiry, loan_limit)
    SELECT m, 'member' || m || '@load.example', DATE '2099-12-31', :loan_limit FROM generate_series(1, :members) AS m;

-- Every member starts at the limit, with the loans Redis and Libra start with (bench/compare):
-- member m holds items ((m - 1) * limit + k) % items + 1, k = 0 ... limit - 1, oldest first.
INSERT INTO loans (item, member, checked_out_at)
    SELECT ((m - 1) * :loan_limit + k) % :items + 1, m, now() - interval '1 day'
    FROM generate_series(1, :members) AS m, generate_series(0, :loan_limit - 1) AS k ORDER BY m, k;
UPDATE items SET copies_available = copies_total - held.count
    FROM (SELECT item, count(*) FROM loans GROUP BY item) AS held WHERE held.item = items.id;
UPDATE members SET active_loans = loan_limit;

-- A member's active loans, oldest first (ids grow with time, as Libra's loan ids do).
CREATE INDEX loans_active_by_member ON loans (member, id) WHERE returned_at IS NULL;

-- One cycle: return the member's oldest loan when at the limit, then check out p_item.
-- Returns 0 when the checkout made a loan, 1 when no copy was on the shelf, 2 when the member
-- already holds the item, 3 when the member may not borrow. Locks: the member row first, then the
-- item rows in id order, so two cycles never wait on each other in a circle.
CREATE FUNCTION cycle(p_member integer, p_item integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    member_row members%ROWTYPE;
    oldest_loan bigint;
    oldest_item integer;
    available integer;
BEGIN
    SELECT * INTO member_row FROM members WHERE id = p_member FOR UPDATE;
    IF NOT FOUND OR member_row.status <> 'active' OR member_row.card_expiry < current_date THEN
        RETURN 3;
    END IF;

    IF member_row.active_loans >= member_row.loan_limit THEN
        SELECT id, item INTO oldest_loan, oldest_item FROM loans
            WHERE member = p_member AND returned_at IS NULL ORDER BY id LIMIT 1;
        PERFORM 1 FROM items WHERE id IN (oldest_item, p_item) ORDER BY id FOR UPDATE;
        UPDATE loans SET returned_at = now() WHERE id = oldest_loan;
        UPDATE items SET copies_available = copies_available + 1 WHERE id = oldest_item;
        member_row.active_loans := member_row.active_loans - 1;
    END IF;

    SELECT copies_available INTO available FROM items WHERE id = p_item FOR UPDATE;
    IF available > 0 AND NOT EXISTS (
        SELECT 1 FROM loans WHERE member = p_member AND returned_at IS NULL AND item = p_item
    ) THEN
        INSERT INTO loans (item, member, checked_out_at) VALUES (p_item, p_member, now());
        UPDATE items SET copies_available = copies_available - 1 WHERE id = p_item;
        UPDATE members SET active_loans = member_row.active_loans + 1 WHERE id = p_member;
        RETURN 0;
    END IF;
    UPDATE members SET active_loans = member_row.active_loans WHERE id = p_member
        AND active_loans <> member_row.active_loans;
    RETURN CASE WHEN available > 0 THEN 2 ELSE 1 END;
END
$$;

VACUUM ANALYZE;
CHECKPOINT;
