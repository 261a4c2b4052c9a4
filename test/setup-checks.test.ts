import { describe, expect, it } from 'vitest';
import { Engine, PrintError, readPinnedFonts, verifyFonts } from '../engine/index.ts';

describe('set-up checks', () => {
  it('verifies every pinned font against its recorded SHA-256', () => {
    expect(verifyFonts().map((f) => f.id)).toEqual(readPinnedFonts().map((f) => f.id));
  });

  it('refuses a font whose checksum differs, naming the font and its package', () => {
    const [first, ...rest] = readPinnedFonts();
    const tampered = [{ ...first!, sha256: '0'.repeat(64) }, ...rest];
    expect(() => verifyFonts(tampered)).toThrow(
      /pinned font BIZ UD Mincho Regular .* has SHA-256 12a76092.*, expected 0{64} \(fonts-morisawa-bizud-mincho 1\.05-2\)/,
    );
  });

  it('refuses a missing font file and says how to install it', () => {
    const [first] = readPinnedFonts();
    expect(() => verifyFonts([{ ...first!, path: '/nonexistent/font.ttf' }])).toThrow(
      /missing at \/nonexistent\/font\.ttf: run `npm run setup` \(apt-get install fonts-morisawa-bizud-mincho\)/,
    );
  });

  it('says how to install Chromium when it is not there', async () => {
    const err = await Engine.start({ chromePath: '/nonexistent/chromium' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrintError);
    expect((err as PrintError).code).toBe('SETUP');
    expect((err as PrintError).message).toBe(
      'Chromium not found at /nonexistent/chromium: run `npm run setup` (it runs apt-get install chromium), or set CHROME_PATH to a Chromium binary',
    );
  });
});
