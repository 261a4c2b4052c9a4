#!/usr/bin/env node
// The `shikaku-print` command. The project runs its TypeScript directly through tsx's loader: no build
// step stands between a change to the engine and the command (Node 20.6 or newer).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
// Exit with the command's status even if something still holds the event loop (a service that failed
// half-way through its start must not linger as a process that answers but cannot work).
process.exit(await main(process.argv.slice(2)));
