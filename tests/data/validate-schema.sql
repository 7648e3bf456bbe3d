-- Tables for the validation tests: integer, uuid, composite and no keys,
-- a wide table, and hostile names. Run on both sides; data on the source.
CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL,
    balance numeric(14, 2) NOT NULL, opened timestamptz NOT NULL);
CREATE TABLE items (id uuid PRIMARY KEY, name text, price double precision);
CREATE TABLE ledger (book int, entry text, amount numeric, PRIMARY KEY (book, entry));
CREATE TABLE audit_log (at timestamptz, what text);
CREATE TABLE wide (id serial PRIMARY KEY, n numeric, t timestamptz, j jsonb,
    b bytea, r real, i interval, d date, nothing text);
CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."We""ird Table" ("select" int PRIMARY KEY, "Col Umn" text);
CREATE TABLE "select" ("from" text PRIMARY KEY, "where" int);
CREATE TABLE "tablé_ünïcødé" (id int PRIMARY KEY, v text);
CREATE TABLE "a_63_byte_name_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" (
    id int PRIMARY KEY, v text);
CREATE SEQUENCE transfer_ids;
