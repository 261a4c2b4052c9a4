import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { PrintError } from '../errors.ts';
import { OWNER_ENV, groupRunning, makeOwnedTempDir, ownerMarker } from '../orphans.ts';

/** The script puppeteer runs in Chromium's place, so that Chromium dies with this process (see its comment). */
const LAUNCHER = fileURLToPath(new URL('./chromium-launcher.sh', import.meta.url));

/** util-linux's setpriv, which the launcher execs; essential in Debian, so missing only on an odd machine. */
const SETPRIV = '/usr/bin/setpriv';

/** Each browser's own profile folder, removed when the browser is killed. */
const profiles = new WeakMap<Browser, string>();

/** The Chromium binary: the one configured (CHROME_PATH, read by config/env.ts), else Debian's /usr/bin/chromium. */
export function chromiumPath(configured?: string): string {
  return configured || '/usr/bin/chromium';
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
  // Processes a print engine has no use for, that only take memory: a spare renderer kept warm for a
  // navigation to come (each tab is replaced by one we open), and the on-device model service.
  '--disable-features=SpareRendererForSitePerProcess,OnDeviceModelService,OptimizationGuideOnDeviceModel,OptimizationHints',
] as const;

/**
 * Launches the system Chromium with the pinned fontconfig; a missing binary is a SETUP error saying how to
 * install it. Chromium runs through the launcher, so it dies when this process does, even by SIGKILL (the
 * kernel ties that to the thread that spawned it: launch from the main thread, not a worker). Its
 * environment carries this process's owner marker and its profile is a folder of ours, so that whatever
 * outlives us anyway is found by the next start's sweepOrphans().
 */
export async function launchChromium(fontconfigFile: string, chromePath?: string): Promise<Browser> {
  const executablePath = chromiumPath(chromePath);
  if (!existsSync(executablePath)) {
    throw new PrintError(
      'SETUP',
      `Chromium not found at ${executablePath}: run \`npm run setup\` (it runs apt-get install chromium), or set CHROME_PATH to a Chromium binary`,
    );
  }
  if (!existsSync(SETPRIV)) {
    throw new PrintError(
      'SETUP',
      `setpriv not found at ${SETPRIV}: run apt-get install util-linux (it makes Chromium end with the service)`,
    );
  }
  const userDataDir = makeOwnedTempDir('profile');
  try {
    const browser = await puppeteer.launch({
      executablePath: LAUNCHER,
      headless: true,
      args: [...CHROMIUM_ARGS],
      userDataDir,
      // Chromium inherits this process's environment, with the pinned fonts and the owner marker added.
      env: { ...process.env, FONTCONFIG_FILE: fontconfigFile, SHIKAKU_PRINT_CHROMIUM: executablePath, [OWNER_ENV]: ownerMarker() },
      protocolTimeout: 180_000,
      // puppeteer's handlers would exit on SIGINT and close the browser on SIGTERM behind the engine's back;
      // the service stops gracefully on its own. Its handler for a normal exit stays: it kills the browser.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    profiles.set(browser, userDataDir);
    return browser;
  } catch (cause) {
    await removeProfile(userDataDir);
    throw new PrintError('SETUP', `Chromium at ${executablePath} did not start: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Kills a browser and every process it started: Chromium leads its own process group (puppeteer starts it
 * detached), so one signal to the group leaves no orphaned renderer behind; Node reaps the leader. Then
 * removes its profile folder.
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
  // A killed process takes a moment to exit (unmapping a renderer's memory under load): wait until none
  // of the group runs any more, so that a closed engine has really left nothing behind.
  if (pid !== undefined) for (let i = 0; i < 100 && groupRunning(pid); i++) await new Promise((r) => setTimeout(r, 20));
  const profile = profiles.get(browser);
  profiles.delete(browser);
  if (profile) await removeProfile(profile);
}

/** Removes a profile folder; a renderer of the group still dying may write into it, hence the retries. */
async function removeProfile(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5 }).catch(() => undefined);
}
