import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../apps/cli/src/cli/program.ts';
import { COMMANDS } from '../../apps/cli/src/commands/index.ts';

const run = promisify(execFile);
const root = (file: string) => fileURLToPath(new URL(`../../${file}`, import.meta.url));
const CLI = root('apps/cli/src/main.ts');

// Nothing here may reach a service: --help must answer before any connection is made.
const OFFLINE_ENV = {
  ...process.env,
  DATABASE_URL: 'postgres://nobody@127.0.0.1:1/never',
  REDIS_URL: 'redis://127.0.0.1:1',
};

async function exec(script: string, args: string[]) {
  return run(process.execPath, [script, ...args], { env: OFFLINE_ENV, timeout: 30_000 }).then(
    (result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

function paths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((child) => [
    [...prefix, child.name()],
    ...paths(child, [...prefix, child.name()]),
  ]);
}

const program = buildProgram(COMMANDS, '0.0.0');
const COMMAND_PATHS = paths(program).filter((path) => path[0] !== 'help');

describe('help for every command and option', { timeout: 120_000 }, () => {
  it.concurrent.each(COMMAND_PATHS.map((path) => [path.join(' '), path]))(
    'aegis %s --help and -h print usage, exit 0 and touch nothing',
    async (_name, path) => {
      for (const flag of ['--help', '-h']) {
        const result = await exec(CLI, [...(path as string[]), flag]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(new RegExp(`^Usage: aegis ${(path as string[]).join(' ')}`));
        expect(result.stderr).toBe('');
      }
    },
  );

  it('documents every option of every command', () => {
    const all = [
      program,
      ...COMMAND_PATHS.map((path) =>
        path.reduce<Command>(
          (command, name) => command.commands.find((child) => child.name() === name) as Command,
          program,
        ),
      ),
    ];
    for (const command of all)
      for (const option of command.options)
        expect(option.description, `${command.name()} ${option.flags}`).not.toBe('');
    for (const command of all) expect(command.description(), command.name()).not.toBe('');
  });

  it('aegis help, aegis -h and aegis help <command> print usage; mistakes are usage errors (exit 2)', async () => {
    for (const args of [['help'], ['-h'], ['--help']]) {
      const result = await exec(CLI, args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: aegis/);
      expect(result.stdout).toMatch(/Exit codes:/);
    }
    const help = await exec(CLI, ['help', 'ingest']);
    expect(help.stdout).toMatch(/^Usage: aegis ingest/);
    for (const args of [
      ['frobnicate'],
      ['status', '--bogus'],
      ['retry'],
      ['retry', 'x', '--stage', 'nope'],
      [],
    ])
      expect((await exec(CLI, args)).code, args.join(' ')).toBe(2);
    const version = await exec(CLI, ['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('errors under --json are one JSON object with a code on stderr', async () => {
    const result = await exec(CLI, ['costs', '--month', '2024-13', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it.each(['apps/worker/src/main.ts', 'apps/api/src/main.ts', 'apps/watcher/src/main.ts'])(
    '%s --help prints usage instead of starting',
    async (script) => {
      const result = await exec(root(script), ['--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: aegis-(worker|api|watcher)/);
      const bad = await exec(root(script), ['--no-such-option']);
      expect(bad.code).toBe(2);
    },
  );
});

describe('shell completion', () => {
  it('bash completes subcommands, options, fixed values and nested commands', async () => {
    const script = (await exec(CLI, ['completion', 'bash'])).stdout;
    const complete = async (words: string[]) => {
      const line = `${script}\nCOMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _aegis_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const { stdout } = await run('bash', ['-c', line]);
      return stdout.split('\n').filter(Boolean);
    };
    expect(await complete(['aegis', ''])).toEqual(
      expect.arrayContaining(COMMAND_PATHS.filter((p) => p.length === 1).map((p) => p[0])),
    );
    expect(await complete(['aegis', 'retry', 'doc', '--stage', ''])).toEqual([
      'memory-check',
      'extract',
      'enrich-images',
      'chunk',
      'embed',
      'graph',
    ]);
    expect(await complete(['aegis', 'keys', ''])).toEqual(
      expect.arrayContaining(['create', 'list', 'revoke']),
    );
    expect(await complete(['aegis', 'keys', 'create', 'me', '--r'])).toEqual(['--roles']);
    expect(await complete(['aegis', 'costs', '--format', ''])).toEqual(['table', 'csv', 'json']);
  });

  it('zsh and fish scripts are generated and parse', async () => {
    const zsh = await exec(CLI, ['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef aegis/);
    const fish = await exec(CLI, ['completion', 'fish']);
    expect(fish.stdout).toMatch(
      /complete -c aegis -n '__fish_seen_subcommand_from retry' -l stage -x -a 'memory-check/,
    );
    await run('bash', ['-n', '-c', (await exec(CLI, ['completion', 'bash'])).stdout]);
    expect((await exec(CLI, ['completion', 'tcsh'])).code).toBe(2);
  });
});
