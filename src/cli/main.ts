import { Command, CommanderError } from 'commander';
import { EXIT_BAD_INPUT, EXIT_OK } from './exit-codes.js';
import { reportError } from './report-error.js';
import { registerCommands } from './commands/index.js';
import { readPackageVersion } from './version.js';

/** Runs the CLI and resolves to the process exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('natflow')
    .description('Reconstruct what NAT and the Docker userland proxy did to each conversation in packet captures')
    .version(readPackageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `natflow: ${s}` : s),
    })
    .showHelpAfterError('(run with --help for usage)');
  let exitCode = EXIT_OK;
  registerCommands(program, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    reportError(err);
    return EXIT_BAD_INPUT;
  }
  return exitCode;
}
