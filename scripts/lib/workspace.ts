/**
 * The one list of the project's libraries is `compilerOptions.paths` in tsconfig.json (`@app/<name>`
 * → `./libs/<name>/src/index.ts`); nest-cli.json names each library once more, for the Nest CLI.
 * vitest.config.ts takes its aliases from here, and scripts/workspace.spec.ts fails when either file
 * and the folders under `libs/` disagree. The `#…` entries are package.json's subpath imports, which
 * Node resolves itself in the scripts it runs without a build (the migrations); the build rewrites
 * them from here like the `@app` ones.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// A JSON string (kept as it is, escapes included), or else a comment or a trailing comma.
const COMMENT = /("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g;
const TRAILING_COMMA = /("(?:[^"\\]|\\.)*")|,(\s*[}\]])/g;

/**
 * Parses JSON with comments and trailing commas, as TypeScript reads tsconfig.json (JSONC), so a
 * comment added there does not break the test configuration.
 */
export function parseJsonc(text: string): unknown {
  const plain = text
    .replace(/^\uFEFF/, '')
    .replace(COMMENT, (_match, string: string | undefined) => string ?? '')
    .replace(
      TRAILING_COMMA,
      (_match, string: string | undefined, closing: string | undefined) => string ?? closing ?? '',
    );
  return JSON.parse(plain) as unknown;
}

export function readJsonc(file: string): unknown {
  try {
    return parseJsonc(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * tsconfig.json's `compilerOptions.paths` as module aliases: each specifier to the absolute path of
 * its one target. Wildcards and several targets have no alias equivalent, so they are refused
 * rather than silently dropped.
 */
export function pathAliases(root: string): Record<string, string> {
  const file = resolve(root, 'tsconfig.json');
  const config = readJsonc(file);
  const paths =
    isRecord(config) && isRecord(config['compilerOptions'])
      ? config['compilerOptions']['paths']
      : undefined;
  if (!isRecord(paths)) {
    throw new Error(`${file} has no compilerOptions.paths`);
  }
  return Object.fromEntries(
    Object.entries(paths).map(([specifier, targets]) => {
      if (
        specifier.includes('*') ||
        !Array.isArray(targets) ||
        targets.length !== 1 ||
        typeof targets[0] !== 'string'
      ) {
        throw new Error(
          `${file}: paths["${specifier}"] must map a specifier without * to exactly one file`,
        );
      }
      return [specifier, resolve(root, targets[0])];
    }),
  );
}
