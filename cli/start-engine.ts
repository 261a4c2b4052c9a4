import { Engine, type EngineOptions } from '../engine/index.ts';
import { readToolEnv } from '../config/env.ts';

/** The Chromium binary CHROME_PATH names, if any: what every browser a command starts runs. */
export function chromePath(): string | undefined {
  return readToolEnv().CHROME_PATH;
}

/** The engine as every command starts it: with the Chromium binary CHROME_PATH names, if any. */
export function startEngine(options: Partial<EngineOptions> = {}): Promise<Engine> {
  return Engine.start({ chromePath: chromePath(), ...options });
}
