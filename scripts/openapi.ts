/**
 * `npm run openapi`: writes both services' OpenAPI documents and their TypeScript types to
 * libs/api-contract (see scripts/openapi-contract.ts). Needs neither Keycloak nor a database.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { contractFiles } from './openapi-contract.ts';

const root = process.cwd();
for (const file of await contractFiles(root)) {
  const target = resolve(root, file.path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.content);
  console.log(`wrote ${file.path}`);
}
