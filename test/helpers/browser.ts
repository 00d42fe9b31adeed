import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What to install when no browser is found: one line, for every platform we run on. */
export const NO_BROWSER =
  'no Chromium or Chrome for the page tests: install one (Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium; anywhere: npx playwright install chromium) or set CHROMIUM_PATH';

const SYSTEM = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];
/** Executables inside a Playwright browser download, per platform. */
const IN_PLAYWRIGHT_BUILD = [
  'chrome-linux/chrome',
  'chrome-linux64/chrome',
  'chrome-linux/headless_shell',
  'chrome-headless-shell-linux64/chrome-headless-shell',
  'chrome-mac/Chromium.app/Contents/MacOS/Chromium',
  'chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
];

/**
 * The browser the page tests drive: `CHROMIUM_PATH`, else a system Chromium or Chrome, else one
 * Playwright downloaded (`PLAYWRIGHT_BROWSERS_PATH` or its default cache). Throws `NO_BROWSER` when
 * there is none, so a fresh machine is told what to install instead of failing on a missing path.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env, o: { system?: readonly string[]; home?: string } = {}): string {
  if (env.CHROMIUM_PATH) {
    if (existsSync(env.CHROMIUM_PATH)) return env.CHROMIUM_PATH;
    throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist; ${NO_BROWSER}`);
  }
  const system = (o.system ?? SYSTEM).find((p) => existsSync(p));
  if (system) return system;
  const home = o.home ?? os.homedir();
  const caches = [
    env.PLAYWRIGHT_BROWSERS_PATH,
    path.join(home, '.cache', 'ms-playwright'),
    path.join(home, 'Library', 'Caches', 'ms-playwright'),
  ].filter((d): d is string => !!d && existsSync(d));
  for (const cache of caches) {
    const builds = readdirSync(cache)
      .filter((d) => /^chromium/.test(d))
      .sort()
      .reverse();
    for (const build of builds) {
      const found = IN_PLAYWRIGHT_BUILD.map((p) => path.join(cache, build, p)).find((p) => existsSync(p));
      if (found) return found;
    }
  }
  throw new Error(NO_BROWSER);
}
