import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT_SERVICES, type ContractFile, contractFiles } from './openapi-contract.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function committed(path: string): string | undefined {
  try {
    return readFileSync(resolve(ROOT, path), 'utf8');
  } catch {
    return undefined;
  }
}

describe('the API contract (libs/api-contract)', () => {
  let files: ContractFile[];

  beforeAll(async () => {
    files = await contractFiles(ROOT);
  }, 60_000);

  it('generates a document and types for every service', () => {
    expect(files.map((file) => file.path)).toEqual([
      ...CONTRACT_SERVICES.flatMap(({ definition }) => [
        `libs/api-contract/openapi/${definition.name}.json`,
        `libs/api-contract/src/${definition.name}.ts`,
      ]),
      'libs/api-contract/src/index.ts',
    ]);
  });

  it('is committed as generated from the current routes (else run npm run openapi)', () => {
    const stale = files
      .filter((file) => committed(file.path) !== file.content)
      .map((file) => file.path);
    expect(stale, `stale or missing: run npm run openapi`).toEqual([]);
  });
});
