import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { PrintError } from '../errors.ts';

/** The system Chromium: CHROME_PATH when set, else Debian's /usr/bin/chromium. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROME_PATH || '/usr/bin/chromium';
}

/**
 * The flags every render uses. Headless and sandboxless (the service runs as root in a container), no
 * network of its own, and rendering pinned down so the same input gives the same pixels: no font hinting,
 * no LCD (subpixel) text, an sRGB colour profile and a device scale factor of 1.
 */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-extensions',
  '--disable-lcd-text',
  '--font-render-hinting=none',
  '--force-color-profile=srgb',
  '--force-device-scale-factor=1',
  '--hide-scrollbars',
  '--mute-audio',
] as const;

/** Launches the system Chromium with the pinned fontconfig; a missing binary is a SETUP error saying how to install it. */
export async function launchChromium(fontconfigFile: string, env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const executablePath = chromiumPath(env);
  if (!existsSync(executablePath)) {
    throw new PrintError(
      'SETUP',
      `Chromium not found at ${executablePath}: run \`npm run setup\` (it runs apt-get install chromium), or set CHROME_PATH to a Chromium binary`,
    );
  }
  try {
    return await puppeteer.launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      env: { ...env, FONTCONFIG_FILE: fontconfigFile },
      protocolTimeout: 180_000,
    });
  } catch (cause) {
    throw new PrintError('SETUP', `Chromium at ${executablePath} did not start: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Kills a browser and every process it started: Chromium leads its own process group (puppeteer starts it
 * detached), so one signal to the group leaves no orphaned renderer behind; Node reaps the leader.
 */
export async function killChromium(browser: Browser): Promise<void> {
  const pid = browser.process()?.pid;
  if (pid !== undefined) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await browser.close().catch(() => undefined);
}
