-- Up Migration

-- Budget caps change only by an operator's explicit act (`aegis budgets set`, `aegis migrate` with an explicit
-- BUDGET_<P>_MONTHLY_USD, or the admin API), never by a process start (llm-router accounting/budget-caps.ts).
-- Who changed a cap last, and why; every change also writes an audit_log row in the same transaction.
ALTER TABLE llm_budget_limits ADD COLUMN updated_by text;
ALTER TABLE llm_budget_limits ADD COLUMN reason text;

-- A fresh database starts with bounded caps, never unlimited ones: the documented defaults for the cloud
-- providers the system knows (updated_by 'migration' says where they came from). A provider without a row here
-- may spend nothing until an operator sets a cap (its month row gets limit 0). Existing rows (an upgraded
-- database) are left as they are.
INSERT INTO llm_budget_limits (provider, limit_usd, updated_at, updated_by, reason)
VALUES ('openai', 20, now(), 'migration', 'default cap of a fresh database'),
       ('dashscope', 10, now(), 'migration', 'default cap of a fresh database'),
       ('groq', 5, now(), 'migration', 'default cap of a fresh database'),
       ('openrouter', 5, now(), 'migration', 'default cap of a fresh database')
ON CONFLICT (provider) DO NOTHING;

-- Down Migration
ALTER TABLE llm_budget_limits DROP COLUMN reason;
ALTER TABLE llm_budget_limits DROP COLUMN updated_by;
