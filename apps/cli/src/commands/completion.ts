import type { Command } from 'commander';
import type { CliCommand } from '../cli/cli-command.ts';
import { bashCompletion, fishCompletion, zshCompletion } from '../cli/completion.ts';

export const completionCommand: CliCommand = {
  register(program) {
    program
      .command('completion')
      .description('print a shell completion script generated from these commands')
      .argument('[shell]', 'bash, zsh or fish', 'bash')
      .addHelpText(
        'after',
        `
Install:
  bash   aegis completion bash > ~/.local/share/bash-completion/completions/aegis
  zsh    aegis completion zsh > "\${fpath[1]}/_aegis"     (or: source <(aegis completion zsh))
  fish   aegis completion fish > ~/.config/fish/completions/aegis.fish`,
      )
      .action((shell: string, _options, command: Command) => {
        const root = command.parent ?? command;
        const scripts: Record<string, (program: Command) => string> = {
          bash: bashCompletion,
          zsh: zshCompletion,
          fish: fishCompletion,
        };
        const generate = scripts[shell];
        if (!generate)
          command.error(`unknown shell "${shell}": bash, zsh or fish`, { code: 'commander.invalidArgument' });
        else process.stdout.write(generate(root));
      });
  },
};
