export { describeError, withTimeout } from './describe-error.ts';
export type { DiagnoseDeps } from './diagnose.ts';
export { diagnose } from './diagnose.ts';
export type { Diagnosis, Finding, FindingStatus } from './finding.ts';
export { hostOf, redisCli } from './infrastructure-checks.ts';
export { entryFix, REQUIRED_TASKS } from './task-checks.ts';
