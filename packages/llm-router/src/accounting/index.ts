export type {
  Accounting,
  BudgetStatus,
  LedgerRow,
  LedgerStatus,
  Reservation,
  ReservationContext,
  ReserveRequest,
  ReserveResult,
} from './accounting.ts';
export type {
  BudgetCap,
  BudgetCaps,
  BudgetCapsOptions,
  CapActor,
  CapChange,
  CapChangeResult,
  CapLogger,
} from './budget-caps.ts';
export { createBudgetCaps, formatCap, parseCapUsd } from './budget-caps.ts';
export type {
  CostGroup,
  CostTotals,
  DocumentCost,
  ExportedLedgerRow,
  ExportLedgerOptions,
  MonthlyCostRow,
  MonthlyCostsOptions,
} from './ledger-reports.ts';
export { documentCost, exportLedger, monthlyCosts } from './ledger-reports.ts';
export type { PostgresAccounting, PostgresAccountingOptions } from './postgres-accounting.ts';
export { createPostgresAccounting } from './postgres-accounting.ts';
export { utcMonth } from './utc-month.ts';
