import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';

/**
 * The README and docs/ are read on GitHub and in a clone: every link to a file of the repository must name one that
 * exists, and none may point outside the repository's tree.
 */
const root = resolve(__dirname, '..', '..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The targets of a page's Markdown links that are not web addresses or anchors within the page. */
function fileLinks(page: string): string[] {
  const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0] ?? '');
}

describe('the README and docs/', () => {
  test('every link to a file names one in the repository', () => {
    const broken = pages.flatMap((page) =>
      fileLinks(page)
        .filter((target) => {
          const path = resolve(root, dirname(page), target);
          return !path.startsWith(`${root}/`) || !existsSync(path);
        })
        .map((target) => `${page} → ${target}`),
    );
    assert.deepEqual(broken, []);
  });

  test('the README is short: about 150 lines over docs/, nothing dated', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.ok(readme.split('\n').length <= 200, `${readme.split('\n').length} lines`);
    assert.doesNotMatch(readme, /\b20\d\d-\d\d-\d\d\b/, 'no dated figure or run in the README');
    for (const page of pages.filter((p) => p.startsWith('docs/'))) {
      assert.ok(readme.includes(`(${page})`), `the README links ${page}`);
    }
  });
});
