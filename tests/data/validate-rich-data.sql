-- Rows for validate-rich.sql (the source's, or both sides' where a test
-- compares without replication). Every partition gets rows, the words
-- sort differently in en-x-icu and "C" (case, accents, punctuation).
\set ON_ERROR_STOP 1
INSERT INTO events
    SELECT g, date '2023-07-01' + (g % 900), (ARRAY['eu', 'us', 'apac'])[1 + g % 3],
    (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::mood, g * 7 % 10000,
    ARRAY['t' || g % 5, 'x'], jsonb_build_object('g', g, 'odd', g % 2 = 1),
    to_tsvector('simple', 'event number ' || g)
    FROM generate_series(1, 3000) g;
INSERT INTO accounts (name, balance)
    SELECT 'owner ' || g, g * 1.5 FROM generate_series(1, 1000) g;
INSERT INTO measurements
    SELECT 1 + g % 5, timestamptz '2024-01-01 00:00+00' + g * interval '1 min', g / 3.0
    FROM generate_series(1, 2000) g;
INSERT INTO words
    SELECT w, row_number() OVER ()
    FROM (SELECT DISTINCT (ARRAY['a', 'B', 'b', 'A', 'é', 'E', 'e', '_', '-', 'Z', 'z', ' ', 'ö', 'O'])[1 + (g * 7) % 14]
        || (ARRAY['a', 'B', 'b', 'A', 'é', 'E', 'e', '_', '-', 'Z', 'z', ' ', 'ö', 'O'])[1 + (g * 11) % 14]
        || lpad((g % 997)::text, 4, '0') AS w FROM generate_series(1, 6000) g) x;
INSERT INTO ledger_books SELECT g, 'book ' || g FROM generate_series(0, 9) g;
INSERT INTO ledger SELECT g % 10, 'e' || g, g FROM generate_series(1, 1000) g;
INSERT INTO session_cache SELECT 'k' || g, 'v' FROM generate_series(1, 10) g;
INSERT INTO notes SELECT g, 'note ' || g, 'c' || g FROM generate_series(1, 50) g;
INSERT INTO "Billing"."Invoice Lines" SELECT g, g * 2.5, ARRAY['x', 'y z']
    FROM generate_series(1, 100) g;
SELECT setval('invoice_numbers', 77);
