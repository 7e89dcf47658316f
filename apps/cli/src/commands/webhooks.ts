import { AegisError, COMPLETION_EVENT_TYPES } from '@aegis/core';
import { type Command, InvalidArgumentError } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';
import { withConnection } from '../cli/connect.ts';
import { formatTable } from '../cli/output.ts';

const EVENT_TYPES = COMPLETION_EVENT_TYPES;

function parseTypes(raw: string): string[] {
  const types = raw
    .split(',')
    .map((type) => type.trim())
    .filter(Boolean);
  const unknown = types.filter((type) => !(EVENT_TYPES as readonly string[]).includes(type));
  if (types.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(`event types are ${EVENT_TYPES.join(', ')} (comma-separated)`);
  return types;
}

function parseEventId(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError('an event id is a positive integer');
  return value;
}

const when = (iso: string) => iso.slice(0, 19).replace('T', ' ');

export const webhooksCommand: CliCommand = {
  register(program) {
    const webhooks = program
      .command('webhooks')
      .description(
        'completion-event webhooks: signed POSTs when a document reaches a final state or a stage fails (the secret is shown once)',
      )
      .addHelpText(
        'after',
        '\nDeliveries carry x-aegis-signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")> and idempotency-key: <event id>; they are retried with backoff and logged. Needs an admin key with --url.',
      );
    webhooks
      .command('add')
      .description('add a webhook for one knowledge base, or for every base when none is named')
      .argument(
        '<url>',
        'where to POST events (http or https; private addresses need WEBHOOK_ALLOW_PRIVATE_URLS=true)',
      )
      .option('--kb <name>', "only this knowledge base's events (default: every base)")
      .option('--events <types>', `comma-separated: ${EVENT_TYPES.join(', ')} (default: all)`, parseTypes)
      .option('--description <text>', 'a note for people')
      .action(
        async (
          url: string,
          options: { kb?: string; events?: string[]; description?: string },
          command: Command,
        ) => {
          const out = outputFor(command);
          await withConnection(command, async ({ client }) => {
            const created = await client.addWebhook({
              url,
              knowledgeBase: options.kb,
              eventTypes: options.events,
              description: options.description,
            });
            out.result(created, () => {
              console.log(
                `added webhook ${created.id} -> ${created.url} (${created.knowledgeBase ?? 'every knowledge base'})`,
              );
              console.log(
                `\n  signing secret: ${created.secret}\n\nStore it now: it is shown only this once.`,
              );
            });
          });
        },
      );
    webhooks
      .command('list')
      .description('list webhooks (never their secrets)')
      .action(async (_options, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          const { webhooks: records } = await client.listWebhooks();
          out.result(records, () =>
            console.log(
              formatTable(records, [
                { header: 'ID', value: (record) => record.id },
                { header: 'URL', value: (record) => record.url },
                { header: 'KNOWLEDGE BASE', value: (record) => record.knowledgeBase ?? '(all)' },
                {
                  header: 'EVENTS',
                  value: (record) => (record.eventTypes.length ? record.eventTypes.join(',') : '(all)'),
                },
                { header: 'CREATED', value: (record) => when(record.createdAt) },
              ]),
            ),
          );
        });
      });
    webhooks
      .command('remove')
      .description('remove a webhook: its pending deliveries stop and its log goes with it')
      .argument('<webhookId>', 'the webhook id (aegis webhooks list)')
      .action(async (id: string, _options, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          await client.removeWebhook(id);
          out.result({ id, removed: true }, () => console.log(`removed webhook ${id}`));
        });
      });
    webhooks
      .command('deliveries')
      .description('the delivery log of a webhook, newest event first, with every attempt')
      .argument('<webhookId>', 'the webhook id')
      .option('--event <id>', 'only this event', parseEventId)
      .option('--limit <n>', 'at most this many deliveries (default 20)', parseEventId)
      .action(async (id: string, options: { event?: number; limit?: number }, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          const { deliveries } = await client.webhookDeliveries(id, {
            eventId: options.event,
            limit: options.limit ?? 20,
          });
          out.result(deliveries, () =>
            console.log(
              formatTable(deliveries, [
                { header: 'DELIVERY', value: (entry) => entry.id },
                { header: 'EVENT', value: (entry) => entry.eventType },
                { header: 'STATUS', value: (entry) => entry.status },
                { header: 'ATTEMPTS', value: (entry) => String(entry.attempts) },
                {
                  header: 'LAST',
                  value: (entry) => {
                    const last = entry.log.at(-1);
                    if (!last) return '-';
                    return `${last.outcome} ${last.responseCode ?? ''} ${last.durationMs} ms${last.error ? ` ${last.error.slice(0, 60)}` : ''}`;
                  },
                },
              ]),
            ),
          );
        });
      });
    webhooks
      .command('replay')
      .description('deliver events to a webhook again: one event or delivery, or every event from an id on')
      .argument('<webhookId>', 'the webhook id')
      .option('--event <id>', 'this event', parseEventId)
      .option('--delivery <id>', 'this delivery (as listed by `aegis webhooks deliveries`)')
      .option('--from <id>', 'every matching event from this id on', parseEventId)
      .option('--limit <n>', 'with --from: at most this many (default 100)', parseEventId)
      .action(
        async (
          id: string,
          options: { event?: number; delivery?: string; from?: number; limit?: number },
          command: Command,
        ) => {
          const out = outputFor(command);
          const named = [options.event, options.delivery, options.from].filter(
            (value) => value !== undefined,
          );
          if (named.length !== 1)
            throw new AegisError('VALIDATION_FAILED', 'name exactly one of --event, --delivery or --from');
          await withConnection(command, async ({ client }) => {
            const accepted = await client.replayWebhook(
              id,
              options.event !== undefined
                ? { eventId: options.event }
                : options.delivery !== undefined
                  ? { deliveryId: options.delivery }
                  : { fromEventId: options.from as number, limit: options.limit },
            );
            out.result(accepted, () =>
              console.log(
                `queued ${accepted.deliveries.length} deliveries: ${accepted.deliveries.join(' ')}`,
              ),
            );
          });
        },
      );
  },
};
