import type { CommandGroup } from '../registry';
import { auditCommands } from './audit';
import { keysCommands } from './keys';
import { orgCommands } from './org';
import { reencryptionCommands } from './reencryption';
import { secretsCommands } from './secrets';
import { tokenCommands } from './token';

/** Every command group of `cmk`, in help order. A new group is one file here and one line below. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [orgCommands, tokenCommands, keysCommands, reencryptionCommands, secretsCommands, auditCommands];
