import type { Argv } from 'yargs';
import { registerBootstrap } from './bootstrap';
import { registerStart } from './start';
import { registerRefreshNumbersDbs } from './refresh-numbers-dbs';
import { registerNumber } from './number';
import { registerNumberCommands } from './numbers';
import { registerSearch } from './search';
import { registerHunt } from './hunt';
import { registerImport } from './import';
import { registerExport } from './export';
import { registerStatus } from './status';
import { registerMaintenance } from './maintenance';
import { registerSup } from './sup';

/** Adds one command (or a group of them) to the parser. */
export type CommandRegistration = (parser: Argv) => Argv;

/** Every knm command, in the order `knm --help` lists them. Add a command by adding its module here. */
export const commands: CommandRegistration[] = [registerStart, registerBootstrap, registerRefreshNumbersDbs, registerNumberCommands, registerNumber, registerSearch, registerHunt, registerImport, registerExport, registerStatus, registerMaintenance, registerSup];
