-- Up Migration

-- Budget leases (llm-router accounting/budget-leases.ts): a process reserves a slice of a provider's month
-- and serves many calls from it in memory. A lease row's amount shrinks as its calls settle, so it may
-- reach 0 before it is released.
ALTER TABLE llm_budget_reservations DROP CONSTRAINT llm_budget_reservations_amount_usd_check;
ALTER TABLE llm_budget_reservations ADD CONSTRAINT llm_budget_reservations_amount_usd_check CHECK (amount_usd >= 0);
ALTER TABLE llm_budget_reservations
  ADD COLUMN kind text NOT NULL DEFAULT 'call' CHECK (kind IN ('call', 'lease'));

-- Down Migration
ALTER TABLE llm_budget_reservations DROP COLUMN kind;
ALTER TABLE llm_budget_reservations DROP CONSTRAINT llm_budget_reservations_amount_usd_check;
ALTER TABLE llm_budget_reservations ADD CONSTRAINT llm_budget_reservations_amount_usd_check CHECK (amount_usd > 0);
