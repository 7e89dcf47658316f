export type { SkipReason } from './inbox-names.ts';
export { skipReason } from './inbox-names.ts';
export type { ErrorReport, Outcome } from './outcome.ts';
export type { Watcher, WatcherEvent, WatcherOptions, WatcherRuntime } from './watcher.ts';
export { startWatcher } from './watcher.ts';
