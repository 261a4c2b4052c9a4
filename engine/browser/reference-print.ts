import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page } from 'puppeteer-core';
import { verifyFonts, writeFontconfig } from '../fonts/fonts.ts';
import type { Insurers } from '../insurers/profiles.ts';
import { AssetServer } from './asset-server.ts';
import { launchChromium, killChromium } from './chromium.ts';

/** What the plain way of printing took. */
export interface ReferenceRun {
  /** From browser start to the last document printed. */
  seconds: number;
  /** Bytes of every PDF Chromium answered, summed (they are not merged). */
  pdfBytes: number;
}

/**
 * The measure the engine is held against (bench --reference): bare puppeteer printing saved HTML
 * documents as they are, `tabs` at a time, with nothing but `goto` and `page.pdf`; no checks, fitting,
 * merging or sharing. It uses the same Chromium, flags, fonts and loopback server as the engine, so the
 * difference is what the engine does, not how the browser is set up. Each file is read just before it is
 * loaded.
 */
export async function printReference(
  files: readonly string[],
  options: { tabs: number; insurers: Insurers; chromePath: string | undefined },
): Promise<ReferenceRun> {
  const fonts = verifyFonts();
  const fontconfig = writeFontconfig(fonts);
  const assets = new AssetServer(fonts, options.insurers.seals());
  await assets.start();
  const t0 = performance.now();
  const browser = await launchChromium(fontconfig, options.chromePath);
  try {
    const tabs: Page[] = [];
    for (let i = 0; i < options.tabs; i++) tabs.push(await browser.newPage());
    let next = 0;
    let pdfBytes = 0;
    await Promise.all(
      tabs.map(async (page) => {
        while (next < files.length) {
          const doc = assets.publish(readFileSync(files[next++] as string, 'utf8'));
          try {
            await page.goto(doc.url, { waitUntil: 'load', timeout: 120_000 });
            // The engine's own print options, so that the ratio measures what the engine does, not a flag.
            const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true, tagged: false, outline: false, timeout: 120_000 });
            pdfBytes += pdf.length;
          } finally {
            doc.withdraw();
          }
        }
      }),
    );
    return { seconds: (performance.now() - t0) / 1000, pdfBytes };
  } finally {
    await killChromium(browser);
    await assets.close();
    rmSync(dirname(fontconfig), { recursive: true, force: true });
  }
}
