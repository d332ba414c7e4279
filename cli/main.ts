import { Command, CommanderError } from 'commander';
import { registerCheckCommand } from './commands/check.js';
import { registerDeployCommands } from './commands/deploy.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerGraphCommand } from './commands/graph.js';
import { registerInitCommand } from './commands/init.js';
import { registerLocalCommands } from './commands/local.js';
import { registerProjectCommands } from './commands/project.js';
import { registerRunCommand } from './commands/run.js';
import { registerStatusCommand } from './commands/status.js';
import { reportError } from './output.js';

const program = new Command()
  .name('zeo')
  .description(
    'zero-etl-orchestrator: curated Redshift layer on top of an Aurora PostgreSQL zero-ETL integration',
  )
  .option('--verbose', 'print stack traces on errors')
  .exitOverride()
  .showHelpAfterError();

registerProjectCommands(program);
registerLocalCommands(program);
registerRunCommand(program);
registerStatusCommand(program);
registerGraphCommand(program);
registerInitCommand(program);
registerDeployCommands(program);
registerCheckCommand(program);
registerDoctorCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(error, program.opts<{ verbose?: boolean }>().verbose === true);
  }
}
