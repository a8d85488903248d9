// The public API stays one a person can hold in mind: src/index.ts exports at most 40 values
// (operations, their errors), the README's library section names each of them, and the package
// publishes that entry alone (src/internal.ts, what only the CLI uses, is not in `exports`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const values = Object.keys(api).sort();

/** The list of exports in the README's "As a library" section: the bullets after "The functions and classes it exports". */
function readmeExports(): string[] {
  const section = readme.slice(readme.indexOf('\n## As a library\n'));
  const start = section.indexOf('The functions and classes it exports');
  expect(start, 'the README library section lists its exports').toBeGreaterThan(0);
  const list = section.slice(start, section.indexOf('\n\n', section.indexOf('\n- ', start)));
  return [...new Set([...list.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!))].filter((n) => n !== 'src').sort();
}

describe('the public API', () => {
  it('exports at most 40 values from src/index.ts', () => {
    expect(values.length, values.join(', ')).toBeLessThanOrEqual(40);
  });

  it('is named, value for value, in the README library section', () => {
    expect(readmeExports()).toEqual(values);
  });

  it('is the only entry the package publishes', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports)).toEqual(['.']);
    expect(pkg.exports['.']).toEqual({ types: './dist/types/index.d.ts', import: './dist/index.js' });
    const build = JSON.parse(readFileSync(new URL('tsconfig.build.json', root), 'utf8')) as { files?: string[] };
    expect(build.files).toEqual(['src/index.ts']);
  });
});
