import path from 'node:path';
import { STAGES, type Stage } from '@aegis/core';
import cliProgress from 'cli-progress';
import { FINAL_STATUSES, type ProgressEvent } from './wait-for-documents.ts';

interface Tracked {
  file: string;
  bar: cliProgress.SingleBar | undefined;
  stage: Stage;
  state: string;
}

/**
 * Live progress for `aegis ingest --wait`: one bar per document (the six stages, the running one by its items)
 * on a terminal; one line per stage transition otherwise (CI logs, pipes).
 */
export function createProgressView(options: { interactive: boolean }) {
  const multibar = options.interactive
    ? new cliProgress.MultiBar(
        {
          format: ' {name} |{bar}| {percentage}% {stage} {state}',
          hideCursor: true,
          clearOnComplete: false,
          barsize: 30,
          autopadding: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const tracked = new Map<string, Tracked>();

  return {
    track(key: string, file: string): void {
      const name = path.basename(file).slice(0, 32).padEnd(32);
      tracked.set(key, {
        file,
        bar: multibar?.create(600, 0, { name, stage: 'queued', state: '' }),
        stage: 'memory-check',
        state: 'queued',
      });
    },
    /** Returns the final status when this event ends the document, else undefined. */
    update(event: ProgressEvent): string | undefined {
      if (event.type === 'deleted') return undefined;
      const entry = tracked.get(`${event.documentId}/${event.version}`);
      if (!entry) return undefined;
      if (event.type === 'version') {
        if (!FINAL_STATUSES.has(event.status)) return undefined;
        const label = `${event.status}${event.errorCode ? ` (${event.errorCode})` : ''}`;
        if (entry.bar)
          entry.bar.update(event.status.startsWith('completed') ? 600 : entry.bar.getProgress() * 600, {
            stage: '',
            state: label,
          });
        else console.log(`${path.basename(entry.file)}: ${label}`);
        return event.status;
      }
      entry.stage = event.stage as Stage;
      entry.state = event.status;
      const base = Math.max(0, STAGES.indexOf(event.stage as Stage)) * 100;
      const within =
        event.status === 'completed'
          ? 100
          : event.total
            ? Math.round(((event.done ?? 0) / event.total) * 100)
            : 0;
      const items = event.total ? ` ${event.done ?? 0}/${event.total}` : '';
      if (entry.bar)
        entry.bar.update(base + within, {
          stage: event.stage,
          state: `${event.status}${items}${event.errorCode ? ` ${event.errorCode}` : ''}`,
        });
      else if (event.status !== 'running')
        console.log(
          `  ${path.basename(entry.file)}: ${event.stage} ${event.status}${event.errorCode ? ` (${event.errorCode})` : ''}`,
        );
      return undefined;
    },
    stop(): void {
      multibar?.stop();
    },
  };
}
