-- bench/compare's check after the runs: copies on the shelf plus active loans equal the copies
-- owned, per item; each member's count equals their active loans. Prints shelf|on loan|violations.
WITH active AS (
    SELECT item, member FROM loans WHERE returned_at IS NULL
), item_violations AS (
    SELECT count(*) AS n FROM items i
    LEFT JOIN (SELECT item, count(*) AS held FROM active GROUP BY item) a ON a.item = i.id
    WHERE i.copies_available + coalesce(a.held, 0) <> i.copies_total
), member_violations AS (
    SELECT count(*) AS n FROM members m
    LEFT JOIN (SELECT member, count(*) AS held FROM active GROUP BY member) a ON a.member = m.id
    WHERE m.active_loans <> coalesce(a.held, 0)
)
SELECT (SELECT sum(copies_available) FROM items), (SELECT count(*) FROM active),
       (SELECT n FROM item_violations) + (SELECT n FROM member_violations);
