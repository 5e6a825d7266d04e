import { spawnSync } from 'node:child_process';

/** A prerequisite is missing; the message is one sentence telling what to install. */
export class MissingPrerequisiteError extends Error {
  override readonly name = 'MissingPrerequisiteError';
}

/** Prints why a script failed: a missing prerequisite as its one sentence, anything else prefixed. */
export function reportFailure(prefix: string, error: unknown): void {
  if (error instanceof MissingPrerequisiteError) {
    console.error(error.message);
  } else {
    console.error(`[${prefix}] ${error instanceof Error ? error.message : String(error)}`);
  }
}

function hasCommand(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/** Keycloak runs on Java. */
export function checkJava(): void {
  if (!hasCommand('java', ['-version'])) {
    throw new MissingPrerequisiteError(
      'Keycloak needs Java 17 or newer: install a JDK (for example `apt-get install openjdk-17-jre-headless`) and put `java` on the PATH.',
    );
  }
}

/** The Keycloak distribution is fetched from Maven Central with `mvn`. */
export function checkMaven(): void {
  if (!hasCommand('mvn', ['-v'])) {
    throw new MissingPrerequisiteError(
      'Fetching Keycloak needs Apache Maven: install it (for example `apt-get install maven`) and put `mvn` on the PATH.',
    );
  }
}
