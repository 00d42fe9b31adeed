import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findChromium, NO_BROWSER } from '../helpers/browser';

// Finding a browser on a machine the page tests have never seen.
describe('findChromium', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'home-'));
  });
  const exe = async (p: string) => {
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, '');
    await chmod(p, 0o755);
    return p;
  };

  it('takes CHROMIUM_PATH first, and says so when it points nowhere', async () => {
    const mine = await exe(path.join(home, 'my-chrome'));
    expect(findChromium({ CHROMIUM_PATH: mine }, { system: [], home })).toBe(mine);
    expect(() => findChromium({ CHROMIUM_PATH: '/nowhere/chrome' }, { system: [], home })).toThrow(
      `CHROMIUM_PATH=/nowhere/chrome does not exist; ${NO_BROWSER}`,
    );
  });

  it('then a system browser, then the newest Playwright download', async () => {
    const system = await exe(path.join(home, 'usr-bin-chromium'));
    expect(findChromium({}, { system: ['/nope', system], home })).toBe(system);
    await exe(path.join(home, '.cache/ms-playwright/chromium-1100/chrome-linux/chrome'));
    const newest = await exe(path.join(home, '.cache/ms-playwright/chromium-1200/chrome-linux/chrome'));
    expect(findChromium({}, { system: [], home })).toBe(newest);
  });

  it('fails with one line naming what to install when there is none', () => {
    expect(() => findChromium({}, { system: [], home })).toThrow(NO_BROWSER);
  });
});
