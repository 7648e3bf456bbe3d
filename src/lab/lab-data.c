/* lab-data.c - the lab's financial schema, its rows (generated inside the
 * database with generate_series, in chunks so progress can be shown), and
 * the pgbench script of one money movement.
 *
 * The tables give validation every kind of key it must handle: bigint
 * (accounts, account_statements), bigserial (transfers, ledger_entries),
 * uuid (payment_methods), composite (daily_balances) and none (audit_log);
 * account_statements is the wide one, with numeric, double precision,
 * timestamptz, interval, inet, arrays, jsonb, bytea and NULLs. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "flow.h"
#include "lab.h"
#include "pg.h"

const char lab_schema_tables_sql[] =
    "CREATE TABLE accounts (\n"
    "	id bigint PRIMARY KEY,\n"
    "	customer_name text NOT NULL,\n"
    "	iban text NOT NULL,\n"
    "	currency char(3) NOT NULL,\n"
    "	balance numeric(20,2) NOT NULL DEFAULT 0,\n"
    "	status text NOT NULL DEFAULT 'open',\n"
    "	opened_at timestamptz NOT NULL DEFAULT now(),\n"
    "	updated_at timestamptz NOT NULL DEFAULT now()\n"
    ");\n"
    "CREATE TABLE transfers (\n"
    "	id bigserial PRIMARY KEY,\n"
    "	client_ref text COLLATE \"C\" NOT NULL,\n"
    "	from_account bigint NOT NULL,\n"
    "	to_account bigint NOT NULL,\n"
    "	amount numeric(20,2) NOT NULL CHECK (amount > 0),\n"
    "	currency char(3) NOT NULL,\n"
    "	status text NOT NULL DEFAULT 'booked',\n"
    "	created_at timestamptz NOT NULL DEFAULT now()\n"
    ");\n"
    "CREATE TABLE ledger_entries (\n"
    "	id bigserial PRIMARY KEY,\n"
    "	transfer_id bigint NOT NULL,\n"
    "	account_id bigint NOT NULL,\n"
    "	amount numeric(20,2) NOT NULL,\n"
    "	entry_type text NOT NULL CHECK (entry_type IN ('debit', 'credit')),\n"
    "	booked_at timestamptz NOT NULL DEFAULT now()\n"
    ");\n"
    "CREATE TABLE daily_balances (\n"
    "	account_id bigint NOT NULL,\n"
    "	day date NOT NULL,\n"
    "	closing_balance numeric(20,2) NOT NULL,\n"
    "	PRIMARY KEY (account_id, day)\n"
    ");\n"
    "CREATE TABLE payment_methods (\n"
    "	id uuid PRIMARY KEY,\n"
    "	account_id bigint NOT NULL,\n"
    "	kind text NOT NULL,\n"
    "	label text,\n"
    "	last4 char(4),\n"
    "	expires_on date,\n"
    "	is_default boolean NOT NULL DEFAULT false,\n"
    "	created_at timestamptz NOT NULL DEFAULT now()\n"
    ");\n"
    "CREATE TABLE account_statements (\n"
    "	id bigint PRIMARY KEY,\n"
    "	account_id bigint NOT NULL,\n"
    "	period_start date NOT NULL,\n"
    "	period_end date NOT NULL,\n"
    "	opening_balance numeric(20,2),\n"
    "	closing_balance numeric(20,2),\n"
    "	interest_rate numeric(9,6),\n"
    "	fees numeric(12,2),\n"
    "	avg_daily_balance double precision,\n"
    "	overdrawn boolean,\n"
    "	generated_at timestamptz NOT NULL,\n"
    "	delivered_at timestamptz,\n"
    "	delivery_channel text,\n"
    "	billing_cycle interval,\n"
    "	client_ip inet,\n"
    "	tags text[],\n"
    "	metadata jsonb,\n"
    "	pdf_sha256 bytea,\n"
    "	notes text\n"
    ");\n"
    /* No primary key, as legacy tables often have none. Insert-only: a
     * source that publishes updates refuses UPDATE and DELETE on a table
     * without a replica identity. */
    "CREATE TABLE audit_log (\n"
    "	logged_at timestamptz NOT NULL DEFAULT now(),\n"
    "	actor text NOT NULL,\n"
    "	action text NOT NULL,\n"
    "	object_id bigint,\n"
    "	detail jsonb\n"
    ");\n";

const char lab_schema_constraints_sql[] =
    "CREATE INDEX transfers_client_ref_idx ON transfers (client_ref);\n"
    "CREATE INDEX transfers_from_account_idx ON transfers (from_account);\n"
    "CREATE INDEX transfers_to_account_idx ON transfers (to_account);\n"
    "CREATE INDEX ledger_entries_transfer_id_idx ON ledger_entries (transfer_id);\n"
    "CREATE INDEX ledger_entries_account_id_idx ON ledger_entries (account_id);\n"
    "CREATE INDEX payment_methods_account_id_idx ON payment_methods (account_id);\n"
    "CREATE INDEX account_statements_account_id_idx ON account_statements (account_id);\n"
    "CREATE INDEX audit_log_logged_at_idx ON audit_log (logged_at);\n"
    "ALTER TABLE transfers\n"
    "	ADD FOREIGN KEY (from_account) REFERENCES accounts,\n"
    "	ADD FOREIGN KEY (to_account) REFERENCES accounts;\n"
    "ALTER TABLE ledger_entries\n"
    "	ADD FOREIGN KEY (transfer_id) REFERENCES transfers,\n"
    "	ADD FOREIGN KEY (account_id) REFERENCES accounts;\n"
    "ALTER TABLE daily_balances ADD FOREIGN KEY (account_id) REFERENCES accounts;\n"
    "ALTER TABLE payment_methods ADD FOREIGN KEY (account_id) REFERENCES accounts;\n"
    "ALTER TABLE account_statements ADD FOREIGN KEY (account_id) REFERENCES accounts;\n"
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "
    LAB_APP_ROLE ";\n"
    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "
    LAB_APP_ROLE ";\n";

const char *const lab_tables[] = { "accounts", "transfers", "ledger_entries",
	"daily_balances", "payment_methods", "account_statements", "audit_log" };
const size_t lab_ntables = ARRAY_SIZE(lab_tables);

enum { T_ACCOUNTS, T_TRANSFERS, T_LEDGER, T_DAILY, T_PAYMENT, T_STATEMENTS,
	T_AUDIT };

/* Per table: $1 and $2 are the first and last number of the chunk, $3 the
 * number of accounts. Values are derived from the row number, so a lab is
 * the same every time it is built. */
static const char *const generate_sql[] = {
	[T_ACCOUNTS] =
	"INSERT INTO accounts (id, customer_name, iban, currency, balance, status,\n"
	"		opened_at, updated_at)\n"
	"SELECT i, 'Customer ' || i,\n"
	"	'DE' || lpad((i % 97)::text, 2, '0') || lpad(i::text, 18, '0'),\n"
	"	(ARRAY['EUR', 'USD', 'GBP', 'CHF'])[1 + i % 4],\n"
	"	1000 + (i * 7919) % 900000 / 100.0,\n"
	"	CASE WHEN i % 53 = 0 THEN 'frozen' ELSE 'open' END, t, t\n"
	"FROM generate_series($1::bigint, $2::bigint) AS i,\n"
	"	LATERAL (SELECT timestamptz '2019-01-01 00:00:00+00' +\n"
	"		i * interval '37 minutes') AS o(t)\n"
	"WHERE $3::bigint > 0",
	[T_TRANSFERS] =
	"INSERT INTO transfers (id, client_ref, from_account, to_account, amount,\n"
	"		currency, status, created_at)\n"
	"SELECT i, 'seed-' || i, 1 + f, 1 + (f + 1 + (i * 31) % ($3 - 1)) % $3,\n"
	"	((i * 7907) % 100000 + 1) / 100.0, 'EUR',\n"
	"	CASE WHEN i % 101 = 0 THEN 'reversed' ELSE 'booked' END,\n"
	"	timestamptz '2023-01-01 00:00:00+00' + i * interval '13 seconds'\n"
	"FROM generate_series($1::bigint, $2::bigint) AS i,\n"
	"	LATERAL (SELECT (i * 7919) % $3::bigint) AS x(f)",
	/* Two entries per transfer: the debit and the credit. */
	[T_LEDGER] =
	"INSERT INTO ledger_entries (id, transfer_id, account_id, amount,\n"
	"		entry_type, booked_at)\n"
	"SELECT 2 * t.id - 1 + v.k, t.id,\n"
	"	CASE v.k WHEN 0 THEN t.from_account ELSE t.to_account END,\n"
	"	CASE v.k WHEN 0 THEN -t.amount ELSE t.amount END,\n"
	"	CASE v.k WHEN 0 THEN 'debit' ELSE 'credit' END, t.created_at\n"
	"FROM transfers AS t, (VALUES (0), (1)) AS v(k)\n"
	"WHERE t.id BETWEEN $1::bigint AND $2::bigint AND $3::bigint > 0",
	[T_DAILY] =
	"INSERT INTO daily_balances (account_id, day, closing_balance)\n"
	"SELECT 1 + (i - 1) % $3::bigint, date '2024-01-01' + ((i - 1) / $3::bigint)::int,\n"
	"	((i * 7717) % 10000000) / 100.0\n"
	"FROM generate_series($1::bigint, $2::bigint) AS i",
	[T_PAYMENT] =
	"INSERT INTO payment_methods (id, account_id, kind, label, last4,\n"
	"		expires_on, is_default, created_at)\n"
	"SELECT md5('payment-method-' || i)::uuid, 1 + (i * 613) % $3::bigint,\n"
	"	(ARRAY['card', 'sepa', 'wallet'])[1 + i % 3],\n"
	"	CASE WHEN i % 7 = 0 THEN NULL ELSE 'method ' || i END,\n"
	"	CASE WHEN i % 3 = 0 THEN lpad((i % 10000)::text, 4, '0') END,\n"
	"	CASE WHEN i % 3 = 0 THEN date '2026-01-31' + (i % 48)::int * 30 END,\n"
	"	i % 5 = 0,\n"
	"	timestamptz '2022-06-01 00:00:00+00' + i * interval '61 seconds'\n"
	"FROM generate_series($1::bigint, $2::bigint) AS i",
	[T_STATEMENTS] =
	"INSERT INTO account_statements (id, account_id, period_start, period_end,\n"
	"		opening_balance, closing_balance, interest_rate, fees,\n"
	"		avg_daily_balance, overdrawn, generated_at, delivered_at,\n"
	"		delivery_channel, billing_cycle, client_ip, tags, metadata,\n"
	"		pdf_sha256, notes)\n"
	"SELECT i, a, d, (d + interval '1 month' - interval '1 day')::date,\n"
	"	((i * 7901) % 10000000) / 100.0 - 20000,\n"
	"	((i * 7933) % 10000000) / 100.0 - 20000,\n"
	"	(i % 500) / 10000.0,\n"
	"	CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 2500) / 100.0 END,\n"
	"	((i * 7937) % 100000000)::double precision / 3,\n"
	"	i % 11 = 0,\n"
	"	d + interval '1 month 6 hours',\n"
	"	CASE WHEN i % 10 = 0 THEN NULL\n"
	"		ELSE d + interval '1 month 1 day' + (i % 3600) * interval '1 second' END,\n"
	"	CASE WHEN i % 10 = 0 THEN NULL ELSE (ARRAY['email', 'post', 'app'])[1 + i % 3] END,\n"
	"	CASE WHEN i % 12 = 0 THEN interval '3 months' ELSE interval '1 month' END,\n"
	"	CASE WHEN i % 6 = 0 THEN NULL\n"
	"		ELSE ('10.' || (i >> 16) % 256 || '.' || (i >> 8) % 256 || '.' || i % 256)::inet END,\n"
	"	CASE WHEN i % 9 = 0 THEN NULL\n"
	"		ELSE ARRAY['monthly', (ARRAY['retail', 'business', 'private'])[1 + i % 3]] END,\n"
	"	CASE WHEN i % 20 = 0 THEN NULL\n"
	"		ELSE jsonb_build_object('pages', 1 + i % 5, 'lang', (ARRAY['en', 'de', 'fr'])[1 + i % 3],\n"
	"			'opt_in', i % 2 = 0, 'score', (i % 1000) / 8.0) END,\n"
	"	sha256(int8send(i)),\n"
	"	CASE WHEN i % 50 = 0 THEN 'manual review ' || i END\n"
	"FROM generate_series($1::bigint, $2::bigint) AS i,\n"
	"	LATERAL (SELECT 1 + (i * 389) % $3::bigint,\n"
	"		(date '2020-01-01' + (i % 72)::int * interval '1 month')::date) AS x(a, d)",
	[T_AUDIT] =
	"INSERT INTO audit_log (logged_at, actor, action, object_id, detail)\n"
	"SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '7 seconds',\n"
	"	(ARRAY['batch', 'teller-7', 'api', 'ops'])[1 + i % 4],\n"
	"	(ARRAY['login', 'transfer.create', 'statement.send', 'limit.change'])[1 + i % 4],\n"
	"	CASE WHEN i % 8 = 0 THEN NULL ELSE i END,\n"
	"	CASE WHEN i % 3 = 0 THEN NULL ELSE jsonb_build_object('seq', i, 'ok', i % 17 <> 0) END\n"
	"FROM generate_series($1::bigint, $2::bigint) AS i\n"
	"WHERE $3::bigint > 0",
};

void
lab_rows_split(int64_t rows, int64_t counts[])
{
	int64_t rest;

	counts[T_ACCOUNTS] = rows / 10 > 10 ? rows / 10 : 10;
	counts[T_TRANSFERS] = rows / 5;
	counts[T_LEDGER] = 2 * counts[T_TRANSFERS];
	counts[T_DAILY] = rows / 10;
	counts[T_PAYMENT] = rows / 20;
	counts[T_STATEMENTS] = rows / 10;
	rest = rows - counts[T_ACCOUNTS] - counts[T_TRANSFERS] - counts[T_LEDGER] -
	    counts[T_DAILY] - counts[T_PAYMENT] - counts[T_STATEMENTS];
	counts[T_AUDIT] = rest > 0 ? rest : 0;
}

#define CHUNK 100000

/* The rows are generated by a flow (flow.h) of chunks, table by table. */
struct generate {
	struct pg *src;
	int64_t counts[ARRAY_SIZE(generate_sql)];
	int64_t total, done, start;
	size_t t;                  /* the table being filled */
	int64_t lo, hi;            /* its chunk in flight */
	int64_t per;               /* rows per generated row (ledger: 2) */
	char sacc[24];
};

static int
generate_chunk(struct flow *f, PGresult *prev)
{
	struct generate *g = f->ctx;
	char slo[24], shi[24];
	const char *params[3] = { slo, shi, g->sacc };
	int64_t step;

	(void)prev;
	/* Ledger entries come two per transfer: chunks of transfers. */
	for (;;) {
		if (g->t == ARRAY_SIZE(generate_sql)) {
			lab_progress_done("loaded %" PRId64 " rows into the source in "
			    "%.1f s", g->done, (double)(mono_ms() - g->start) / 1000);
			return FLOW_DONE;
		}
		g->per = g->t == T_LEDGER ? 2 : 1;
		if (g->lo <= g->counts[g->t] / g->per)
			break;
		g->t++;
		g->lo = 1;
	}
	step = CHUNK / g->per;
	g->hi = g->lo + step - 1 < g->counts[g->t] / g->per ? g->lo + step - 1 :
	    g->counts[g->t] / g->per;
	snprintf(slo, sizeof slo, "%" PRId64, g->lo);
	snprintf(shi, sizeof shi, "%" PRId64, g->hi);
	lab_progress("loading the source: %s, %" PRId64 " of %" PRId64
	    " rows (%d%%)", lab_tables[g->t], g->done, g->total,
	    (int)(100 * g->done / g->total));
	return flow_query(f, g->src, generate_sql[g->t], 3, params);
}

static int
generate_chunk_done(struct flow *f, PGresult *prev)
{
	struct generate *g = f->ctx;

	(void)prev;
	g->done += (g->hi - g->lo + 1) * g->per;
	g->lo += CHUNK / g->per;
	return flow_back(f, 1, 0);
}

static const flow_step generate_steps[] = {
	generate_chunk, generate_chunk_done, NULL
};

int
lab_generate(struct loop *loop, struct pg *src, int64_t rows,
    int64_t *accounts, struct err *e)
{
	struct generate g;
	size_t t;

	memset(&g, 0, sizeof g);
	g.src = src;
	g.start = mono_ms();
	g.lo = 1;
	lab_rows_split(rows, g.counts);
	for (t = 0; t < ARRAY_SIZE(generate_sql); t++)
		g.total += g.counts[t];
	*accounts = g.counts[T_ACCOUNTS];
	snprintf(g.sacc, sizeof g.sacc, "%" PRId64, g.counts[T_ACCOUNTS]);
	if (flow_run(loop, generate_steps, &g, e) != 0)
		return err_prefix(e, "generating the rows of %s", lab_tables[g.t]);
	return 0;
}

/* One money movement, as an application would make it: debit one account,
 * credit another (in id order, so concurrent movements never deadlock), a
 * transfer row carrying a client reference unique to this load, client and
 * transaction (L<load>-<client>-<n>; :n counts the client's transactions
 * like pgbench's own transaction number in its log, which is how each
 * logged commit is found again), and its two ledger entries. */
const char lab_transfer_script[] =
    "-- cutover lab: one money movement (pgbench script)\n"
    "-- :accounts, :load and :n (0) are set with -D by `cutover lab load`.\n"
    "\\set from random(1, :accounts)\n"
    "\\set to 1 + (:from + random(0, :accounts - 2)) % :accounts\n"
    "\\set cents random(1, 50000)\n"
    "\\set n :n + 1\n"
    "\\set first least(:from, :to)\n"
    "\\set second greatest(:from, :to)\n"
    "\\set delta CASE WHEN :first = :from THEN -:cents ELSE :cents END\n"
    "BEGIN;\n"
    "UPDATE accounts SET balance = balance + :delta / 100.0, updated_at = now()\n"
    "	WHERE id = :first;\n"
    "UPDATE accounts SET balance = balance - :delta / 100.0, updated_at = now()\n"
    "	WHERE id = :second;\n"
    "WITH t AS (\n"
    "	INSERT INTO transfers (client_ref, from_account, to_account, amount, currency)\n"
    "	VALUES (concat('L', :load, '-', :client_id, '-', :n), :from, :to,\n"
    "		:cents / 100.0, 'EUR')\n"
    "	RETURNING id, from_account, to_account, amount, created_at)\n"
    "INSERT INTO ledger_entries (transfer_id, account_id, amount, entry_type, booked_at)\n"
    "SELECT id, from_account, -amount, 'debit', created_at FROM t\n"
    "UNION ALL\n"
    "SELECT id, to_account, amount, 'credit', created_at FROM t;\n"
    "END;\n";
