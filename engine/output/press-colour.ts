import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PrintError } from '../errors.ts';

/** Ghostscript, from Debian's ghostscript package (scripts/setup.sh installs it). */
const GS = '/usr/bin/gs';
/**
 * The CMYK press profile used when none is given: Ghostscript's own default CMYK profile (Debian's
 * icc-profiles-free holds FOGRA characterisation data but no CMYK profile, and no Japan Color is free).
 * A print shop gives its own, such as Japan Color 2011 Coated, with --icc.
 */
export const DEFAULT_PRESS_ICC = '/usr/share/color/icc/ghostscript/default_cmyk.icc';

/** What the press step needs. */
export interface PressOptions {
  /** The press's CMYK ICC profile; DEFAULT_PRESS_ICC when left out. */
  icc?: string | undefined;
  /** The document's title, in its information and OutputIntent. */
  title: string;
}

/**
 * Makes `input` a press file at `output`, with Ghostscript's pdfwrite (a field-made converter, no colour
 * maths of ours): every colour to CMYK through the press profile, DeviceGray (which is what black text
 * and grey rules are: engine/pdf/neutral-gray.ts) to K alone, fonts kept embedded; then the OutputIntent
 * with the profile and the PDF/X-4 version key, written by Ghostscript's pdfmark. TrimBox and BleedBox
 * are kept on every page.
 */
export async function toPress(input: string, output: string, options: PressOptions): Promise<void> {
  if (!existsSync(GS)) throw new PrintError('SETUP', `Ghostscript not found at ${GS}: run \`npm run setup\` (apt-get install ghostscript)`);
  const icc = resolve(options.icc ?? DEFAULT_PRESS_ICC);
  if (!existsSync(icc)) {
    throw new PrintError(
      options.icc ? 'INVALID_INPUT' : 'SETUP',
      options.icc
        ? `the ICC profile ${icc} does not exist`
        : `the default press profile ${icc} is missing: run \`npm run setup\` (apt-get install icc-profiles-free)`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'shikaku-press-'));
  try {
    const marks = join(work, 'pdfx.ps');
    writeFileSync(marks, pdfxMarks(icc, options.title));
    await promisify(execFile)(
      GS,
      [
        '-dBATCH',
        '-dNOPAUSE',
        '-dQUIET',
        '-dSAFER',
        `--permit-file-read=${icc}`,
        '-sDEVICE=pdfwrite',
        '-dCompatibilityLevel=1.6',
        '-sColorConversionStrategy=CMYK',
        '-sProcessColorModel=DeviceCMYK',
        `-sOutputICCProfile=${icc}`,
        '-dEmbedAllFonts=true',
        '-dSubsetFonts=true',
        '-dPreserveTrimBox=true',
        '-dAutoRotatePages=/None',
        '-dDetectDuplicateImages=true',
        `-sOutputFile=${output}`,
        input,
        marks,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new PrintError(
      'RENDER',
      `Ghostscript could not make the press file: ${(e.stderr || e.message).trim().split('\n').slice(0, 3).join(' ')}`,
      { cause: err },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** PostScript pdfmarks: the ICC profile as the OutputIntent's destination profile, and the PDF/X-4 key. */
function pdfxMarks(icc: string, title: string): string {
  const ps = (s: string) => `<${Buffer.from(`\ufeff${s}`, 'utf16le').swap16().toString('hex')}>`;
  const path = icc.replace(/[()\\]/g, (c) => `\\${c}`);
  return `%!
[ /_objdef {icc_PDFX} /type /stream /OBJ pdfmark
[ {icc_PDFX} << /N 4 >> /PUT pdfmark
[ {icc_PDFX} (${path}) (r) file /PUT pdfmark
[ /_objdef {OutputIntent_PDFX} /type /dict /OBJ pdfmark
[ {OutputIntent_PDFX} <<
  /Type /OutputIntent /S /GTS_PDFX
  /OutputConditionIdentifier (Custom) /OutputCondition ${ps(`press: ${icc.split('/').at(-1) ?? icc}`)}
  /Info ${ps(icc.split('/').at(-1) ?? icc)} /RegistryName (http://www.color.org)
  /DestOutputProfile {icc_PDFX}
>> /PUT pdfmark
[ {Catalog} << /OutputIntents [ {OutputIntent_PDFX} ] >> /PUT pdfmark
[ /GTS_PDFXVersion (PDF/X-4) /Trapped /False /Title ${ps(title)} /DOCINFO pdfmark
`;
}
