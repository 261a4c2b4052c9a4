import { startEngine } from './start-engine.ts';
import { resolve } from 'node:path';
import { LAYOUTS_DIR, SAMPLE_INSURERS_DIR, scaffoldLayout } from '../engine/index.ts';
import { GOLDEN_DIR } from '../qa/index.ts';
import { startStudio } from '../studio/studio.ts';
import { intOption, stringOption } from './options.ts';
import { existingFolder } from './paths.ts';
import { EXIT, OptionError } from './report.ts';

/** `studio`: serves the designer studio on 127.0.0.1 until stopped (Ctrl-C). */
export async function studioCommand(values: Record<string, unknown>): Promise<number> {
  const port = intOption(values, 'port', 0, 65535) ?? 5180;
  const layoutsDir = resolve(stringOption(values, 'layouts') ?? LAYOUTS_DIR);
  const goldenDir = resolve(stringOption(values, 'goldens') ?? GOLDEN_DIR);
  // The studio shows the sample insurers' seals and contacts, as the goldens do, unless told otherwise.
  const insurersDir = resolve(stringOption(values, 'insurers') ?? SAMPLE_INSURERS_DIR);
  existingFolder('--layouts', layoutsDir);
  existingFolder('--insurers', insurersDir);
  const engine = await startEngine({ tabs: 1, insurersDir });
  const studio = await startStudio({ port, layoutsDir, goldenDir, engine }).catch(async (err: unknown) => {
    await engine.close();
    throw err;
  });
  process.stdout.write(`studio: ${studio.url} (layouts ${layoutsDir}); Ctrl-C stops it\n`);
  await new Promise<void>((stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await studio.close();
  await engine.close();
  return EXIT.ok;
}

/** `layout new ID --from LAYOUT`: a new layout made from a working one. */
export function layoutCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  return Promise.resolve().then(() => {
    const [verb, id] = positionals;
    if (verb !== 'new' || !id || positionals.length !== 2)
      throw new OptionError(`layout knows one action, new ID; received "${positionals.join(' ')}"`);
    if (typeof values.from !== 'string') throw new OptionError('--from is required: the layout the new one is made from');
    const layoutsDir = resolve(stringOption(values, 'layouts') ?? LAYOUTS_DIR);
    existingFolder('--layouts', layoutsDir);
    const made = scaffoldLayout({
      layoutsDir,
      goldenDir: resolve(stringOption(values, 'goldens') ?? GOLDEN_DIR),
      id,
      from: values.from,
      extend: values.extend === true,
    });
    process.stdout.write(
      `made layout ${made.id} in ${made.dir}: ${made.files.join(', ')}${made.golden ? `\ngolden case: ${made.golden}` : ''}\n`,
    );
    return EXIT.ok;
  });
}
