import type { CliCommand } from '../cli/cli-command.ts';

export const llmDemoCommand: CliCommand = {
  register(program) {
    program
      .command('llm-demo')
      .description('start the provider simulator and send a few calls through the router (simulated models)')
      .action(() => import('../actions/llm-demo.ts').then((action) => action.runLlmDemo()));
  },
};
