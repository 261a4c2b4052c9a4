// Paths as the studio shows them (studio/shown-paths.ts): never absolute, whatever surrounds them.
import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ShownPaths } from '../studio/shown-paths.ts';

const shown = new ShownPaths({ layouts: '/srv/city work/layouts', goldens: '/srv/city work/golden', insurers: '/srv/city work/insurers' });

describe('a path in a studio answer', () => {
  it('names a file of its folders by its place in them, a name with a space too', () => {
    expect(shown.file('/srv/city work/insurers/320036.json')).toBe('insurers/320036.json');
    expect(shown.text('cannot read /srv/city work/layouts/kokuho-card/front.hbs: no such file')).toBe(
      'cannot read kokuho-card/front.hbs: no such file',
    );
    expect(shown.text('seal=file:///srv/city work/insurers/seals/izumo.svg')).toBe('seal=insurers/seals/izumo.svg');
  });

  it('cuts any other absolute path to its last name, wherever it stands', () => {
    expect(shown.text('path=/opt/a/x,/home/taro/y.svg')).toBe('path=…/x,…/y.svg');
    expect(shown.text('<img src=/home/taro/seal.png>|/var/tmp/z')).toBe('<img src=…/seal.png>|…/z');
    expect(shown.text('see file:///etc/hostname.')).toBe('see …/hostname.');
    expect(shown.text(`${homedir()}/My Docs/seal.svg`)).not.toContain(homedir());
  });

  it('leaves relative paths and URLs alone', () => {
    expect(shown.text('partials/_shared/head.hbs and http://127.0.0.1:15180/api/x')).toBe(
      'partials/_shared/head.hbs and http://127.0.0.1:15180/api/x',
    );
  });
});
