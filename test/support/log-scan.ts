import { existsSync, readFileSync } from 'node:fs';

/** A JWT as Keycloak issues them (access, refresh, ID tokens, RPTs): `eyJ<header>.eyJ<payload>.` */
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\./;
const BEARER = /bearer\s+[A-Za-z0-9._~+/-]{8,}/i;

/** Why a log line is unacceptable, or `undefined` when it is fine. */
export function logLineProblem(line: string, secrets: readonly string[] = []): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'not a JSON object';
  }
  if (JWT.test(line)) {
    return 'contains a JWT';
  }
  if (BEARER.test(line)) {
    return 'contains a bearer credential';
  }
  if (secrets.some((secret) => secret !== '' && line.includes(secret))) {
    return 'contains a secret';
  }
  return undefined;
}

/** Every unacceptable line of a log file, with its line number. */
export function scanLogFile(
  file: string,
  secrets: readonly string[] = [],
): { lines: number; problems: string[] } {
  if (!existsSync(file)) {
    return { lines: 0, problems: [] };
  }
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  const problems: string[] = [];
  for (const [index, line] of lines.entries()) {
    const problem = logLineProblem(line, secrets);
    if (problem !== undefined) {
      problems.push(`line ${index + 1}: ${problem}: ${line.slice(0, 160)}`);
    }
  }
  return { lines: lines.length, problems };
}
