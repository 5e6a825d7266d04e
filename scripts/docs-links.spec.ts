import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

/** The documents a reader follows links through: the README, the root documents and docs/. */
const DOCUMENTS = [
  'README.md',
  'CONTRIBUTING.md',
  'SECURITY.md',
  'docker/keycloak/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown outside fenced code blocks (a `# comment` in a shell example is no heading). */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (line.startsWith('```')) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** The anchors GitHub gives a document's headings. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6} (.+)$/.exec(line)?.[1];
    if (heading === undefined) {
      continue;
    }
    const slug = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Links to files of the repository, as `[text](target)` with no scheme. */
function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const line of prose(markdown)) {
    for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? '';
      if (!/^[a-z]+:/i.test(target)) {
        links.push(target);
      }
    }
  }
  return links;
}

describe('the documentation', () => {
  it('names anchors the way GitHub does', () => {
    expect([
      ...anchors('# Photoz\n## Access to an album: `@Scopes` and the UMA challenge (`@app/auth`)'),
    ]).toEqual(['photoz', 'access-to-an-album-scopes-and-the-uma-challenge-appauth']);
    expect([...anchors('## Logs\n```sh\n# not a heading\n```\n## Logs')]).toEqual([
      'logs',
      'logs-1',
    ]);
  });

  it.each(DOCUMENTS)('%s links only to files and headings that exist', (document) => {
    const broken: string[] = [];
    const path = join(ROOT, document);
    for (const link of relativeLinks(readFileSync(path, 'utf8'))) {
      const [file = '', anchor] = link.split('#');
      const target = file === '' ? path : resolve(dirname(path), file);
      if (!existsSync(target)) {
        broken.push(`${link} (no ${relative(ROOT, target)})`);
      } else if (anchor !== undefined && !anchors(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${link} (no heading #${anchor} in ${relative(ROOT, target)})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
