-- A schema richer than the lab's, for the coverage and schema tests: run
-- on both sides with psql variables choosing each side's layout:
--   layout        same: partitioned as on the source; other: events hash
--                 partitioned and measurements a plain table (a target
--                 Aurora laid out its own way)
--   matview_data  true: the materialized view is populated
--   words_coll    the collation of words.w ("en-x-icu" on the source,
--                 "C" on the target: text keys that sort differently)
-- Application role app_rw must exist in the cluster.
\set ON_ERROR_STOP 1
CREATE EXTENSION citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN cents AS bigint DEFAULT 0 CHECK (VALUE >= 0);

-- Multi-level partitions: range by date, then list by region; default
-- partitions at both levels.
\if :{?other_layout}
CREATE TABLE events (
    id bigint NOT NULL, at date NOT NULL, region text NOT NULL,
    kind mood NOT NULL DEFAULT 'ok', amount cents NOT NULL,
    tags text[] NOT NULL DEFAULT '{}', body jsonb, doc tsvector,
    PRIMARY KEY (id, at, region)) PARTITION BY HASH (id);
CREATE TABLE events_h0 PARTITION OF events FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE events_h1 PARTITION OF events FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE events_h2 PARTITION OF events FOR VALUES WITH (MODULUS 3, REMAINDER 2);
CREATE TABLE measurements (sensor int, at timestamptz, v double precision,
    PRIMARY KEY (sensor, at));
\else
CREATE TABLE events (
    id bigint NOT NULL, at date NOT NULL, region text NOT NULL,
    kind mood NOT NULL DEFAULT 'ok', amount cents NOT NULL,
    tags text[] NOT NULL DEFAULT '{}', body jsonb, doc tsvector,
    PRIMARY KEY (id, at, region)) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (region);
CREATE TABLE events_2024_eu PARTITION OF events_2024 FOR VALUES IN ('eu');
CREATE TABLE events_2024_us PARTITION OF events_2024 FOR VALUES IN ('us');
CREATE TABLE events_2024_other PARTITION OF events_2024 DEFAULT;
CREATE TABLE events_2025 PARTITION OF events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE TABLE measurements (sensor int, at timestamptz, v double precision,
    PRIMARY KEY (sensor, at)) PARTITION BY LIST (sensor);
CREATE TABLE measurements_a PARTITION OF measurements FOR VALUES IN (1, 2);
CREATE TABLE measurements_b PARTITION OF measurements FOR VALUES IN (3);
CREATE TABLE measurements_rest PARTITION OF measurements DEFAULT;
\endif
CREATE INDEX events_body ON events USING gin (body);

-- Hash partitions, a stored generated column, a serial key.
CREATE TABLE accounts (id bigserial, name citext NOT NULL,
    balance numeric(14, 2) NOT NULL DEFAULT 0,
    name_upper text GENERATED ALWAYS AS (upper(name::text)) STORED,
    PRIMARY KEY (id)) PARTITION BY HASH (id);
CREATE TABLE accounts_0 PARTITION OF accounts FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE accounts_1 PARTITION OF accounts FOR VALUES WITH (MODULUS 2, REMAINDER 1);

-- Text keys in the side's collation.
CREATE TABLE words (w text COLLATE :"words_coll" PRIMARY KEY, n int NOT NULL);

-- A composite key, a check constraint, a foreign key, an index.
CREATE TABLE ledger_books (book int PRIMARY KEY, title text);
CREATE TABLE ledger (book int REFERENCES ledger_books, entry text,
    amount cents, PRIMARY KEY (book, entry),
    CONSTRAINT ledger_amount_small CHECK (amount < 1000000));
CREATE INDEX ledger_amount ON ledger (amount);

CREATE UNLOGGED TABLE session_cache (k text PRIMARY KEY, v text);
CREATE TABLE notes (id int PRIMARY KEY, note text, code text);
CREATE UNIQUE INDEX notes_code ON notes (code);
CREATE FUNCTION notes_fill() RETURNS trigger LANGUAGE plpgsql AS
    $$BEGIN NEW.note := coalesce(NEW.note, ''); RETURN NEW; END$$;
CREATE TRIGGER notes_fill BEFORE INSERT ON notes FOR EACH ROW
    EXECUTE FUNCTION notes_fill();

CREATE SCHEMA "Billing";
CREATE TABLE "Billing"."Invoice Lines" ("Line" int PRIMARY KEY,
    "Amount" numeric NOT NULL, items text[]);
CREATE SEQUENCE invoice_numbers;

CREATE VIEW big_accounts AS SELECT id, name FROM accounts WHERE balance > 1000;
\if :{?matview_data}
CREATE MATERIALIZED VIEW event_totals AS
    SELECT region, count(*) AS n, sum(amount) AS total FROM events GROUP BY region;
\else
CREATE MATERIALIZED VIEW event_totals AS
    SELECT region, count(*) AS n, sum(amount) AS total FROM events GROUP BY region
    WITH NO DATA;
\endif
CREATE UNIQUE INDEX event_totals_region ON event_totals (region);

CREATE FUNCTION add_cents(a cents, b cents) RETURNS cents LANGUAGE sql
    IMMUTABLE AS 'SELECT a + b';
CREATE PROCEDURE touch_note(i int) LANGUAGE sql AS
    $$UPDATE notes SET note = note WHERE id = i$$;

GRANT USAGE ON SCHEMA public, "Billing" TO app_rw;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, "Billing" TO app_rw;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO app_rw;
