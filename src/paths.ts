import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project root (the directory holding package.json), from sources or from `dist/`. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}
