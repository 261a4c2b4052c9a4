#!/usr/bin/env node
// The `shikaku-print` command. The project runs its TypeScript directly through tsx's loader: no build
// step stands between a change to the engine and the command (Node 20.6 or newer).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
