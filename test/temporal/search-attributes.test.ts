import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';

// The attributes are registered by the engine on a self-hosted server; the compose job and the
// Temporal Cloud command in the docs list them again, and must list them all, with their types.
const TYPES: Record<string, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DATETIME: 'Datetime',
  BOOL: 'Bool',
  KEYWORD_LIST: 'KeywordList',
};
const wanted = SEARCH_ATTRIBUTES.map((k) => `${k.name}=${TYPES[k.type]}`).sort();
const root = path.join(__dirname, '..', '..');

it('lists every search attribute in the compose job', async () => {
  const script = await readFile(path.join(root, 'deploy', 'temporal-namespace.sh'), 'utf8');
  const listed = /for sa in ([^;]+); do/s.exec(script)![1]!.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean).sort();
  expect(listed).toEqual(wanted);
});

it('lists every search attribute in the Temporal Cloud command of docs/operations.md', async () => {
  const docs = await readFile(path.join(root, 'docs', 'operations.md'), 'utf8');
  const command = /tcld namespace search-attributes add[^`]+/s.exec(docs)![0];
  expect([...command.matchAll(/--sa (\w+=\w+)/g)].map((m) => m[1]).sort()).toEqual(wanted);
});
