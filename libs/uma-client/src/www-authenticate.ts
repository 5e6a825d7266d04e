/** One challenge of a `WWW-Authenticate` header: its scheme and its auth-params. */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** The UMA 2.0 challenge (UMA grant §3.3.1). */
export interface UmaChallenge {
  readonly realm?: string;
  readonly asUri: string;
  readonly ticket: string;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const SPACES = /[ \t]*/y;

/**
 * Parses a `WWW-Authenticate` value (RFC 9110 §11.6.1) into its challenges. Lenient: what does not
 * parse ends the list, so a malformed header yields the challenges before the fault.
 */
export function parseWwwAuthenticate(header: string | null | undefined): AuthChallenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  if (header === null || header === undefined) {
    return challenges;
  }
  let at = 0;
  const skipSpaces = (): void => {
    SPACES.lastIndex = at;
    SPACES.exec(header);
    at = SPACES.lastIndex;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(header);
    if (match === null) {
      return undefined;
    }
    at = TOKEN.lastIndex;
    return match[0];
  };
  const quoted = (): string | undefined => {
    if (header[at] !== '"') {
      return undefined;
    }
    let value = '';
    for (at += 1; at < header.length; at += 1) {
      const char = header[at];
      if (char === '\\') {
        at += 1;
        value += header[at] ?? '';
      } else if (char === '"') {
        at += 1;
        return value;
      } else {
        value += char;
      }
    }
    return undefined;
  };

  while (at < header.length) {
    skipSpaces();
    if (header[at] === ',') {
      at += 1;
      continue;
    }
    const start = at;
    const name = token();
    if (name === undefined) {
      break;
    }
    skipSpaces();
    const current = challenges.at(-1);
    if (header[at] === '=' && current !== undefined && start !== 0) {
      // an auth-param of the current challenge
      at += 1;
      skipSpaces();
      const value = quoted() ?? token();
      if (value === undefined) {
        break;
      }
      current.params[name.toLowerCase()] = value;
      continue;
    }
    challenges.push({ scheme: name, params: {} });
    // token68 (e.g. `Basic abc==`) is not used by this API: skip it.
  }
  return challenges;
}

/** The UMA challenge in a `WWW-Authenticate` value, if there is one with a ticket and `as_uri`. */
export function findUmaChallenge(header: string | null | undefined): UmaChallenge | undefined {
  const uma = parseWwwAuthenticate(header).find(
    (challenge) => challenge.scheme.toLowerCase() === 'uma',
  );
  const asUri = uma?.params['as_uri'];
  const ticket = uma?.params['ticket'];
  if (asUri === undefined || ticket === undefined) {
    return undefined;
  }
  const realm = uma?.params['realm'];
  return { asUri, ticket, ...(realm === undefined ? {} : { realm }) };
}

/** The `error` of a Bearer challenge (RFC 6750 §3), e.g. `invalid_token`. */
export function bearerError(
  header: string | null | undefined,
): { error: string; description?: string } | undefined {
  const bearer = parseWwwAuthenticate(header).find(
    (challenge) => challenge.scheme.toLowerCase() === 'bearer',
  );
  const error = bearer?.params['error'];
  if (error === undefined) {
    return undefined;
  }
  const description = bearer?.params['error_description'];
  return { error, ...(description === undefined ? {} : { description }) };
}
