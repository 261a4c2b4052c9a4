import { Engine, type EngineOptions } from '../engine/index.ts';
import { readEnv } from '../config/env.ts';

/** The engine as every command starts it: with the Chromium binary CHROME_PATH names, if any. */
export function startEngine(options: Partial<EngineOptions> = {}): Promise<Engine> {
  return Engine.start({ chromePath: readEnv().CHROME_PATH, ...options });
}
