#!/usr/bin/env node
import { runCli } from './cli/run-cli.ts';
import { COMMANDS } from './commands/index.ts';

process.exitCode = await runCli(process.argv, COMMANDS);
