// Set-up file of the `unit` tier: a unit test starts no process at all (no Chromium, no poppler, no CLI).
// Every way node:child_process starts one throws instead, naming the tier to move the test to; the live
// bindings of `import { execFile } from 'node:child_process'` follow through syncBuiltinESMExports.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

for (const name of STARTERS) {
  Object.assign(childProcess, {
    [name]: (command: unknown) => {
      throw new Error(
        `a unit test started a process (child_process.${name} ${String(command)}): it belongs to the engine or process tier (vitest.config.ts)`,
      );
    },
  });
}
syncBuiltinESMExports();
