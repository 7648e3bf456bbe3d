INSERT INTO accounts SELECT g, 'owner ' || g, (g * 1.25)::numeric(14, 2),
    '2026-01-01'::timestamptz + g * interval '1 minute'
    FROM generate_series(1, 20000) g;
INSERT INTO items SELECT md5(g::text)::uuid, 'item ' || g, g / 7.0
    FROM generate_series(1, 3000) g;
INSERT INTO ledger SELECT g % 10, 'e' || g, g * 0.01 FROM generate_series(1, 5000) g;
INSERT INTO audit_log SELECT now(), 'event ' || g FROM generate_series(1, 100) g;
INSERT INTO wide (n, t, j, b, r, i, d, nothing)
    SELECT g * 3.14159, '2026-06-01 12:00+02'::timestamptz + g * interval '1 s',
    jsonb_build_object('k', g, 'nested', jsonb_build_array(g, 'x')),
    decode(md5(g::text), 'hex'), g / 3.0, g * interval '1 hour',
    '2026-01-01'::date + g, CASE WHEN g % 2 = 0 THEN NULL ELSE 'odd' END
    FROM generate_series(1, 2000) g;
INSERT INTO "My Schema"."We""ird Table" SELECT g, 'v' || g FROM generate_series(1, 300) g;
INSERT INTO "select" SELECT 'k' || g, g FROM generate_series(1, 300) g;
INSERT INTO "tablé_ünïcødé" SELECT g, 'é' || g FROM generate_series(1, 300) g;
INSERT INTO "a_63_byte_name_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    SELECT g, 'v' FROM generate_series(1, 300) g;
SELECT setval('transfer_ids', 500);
