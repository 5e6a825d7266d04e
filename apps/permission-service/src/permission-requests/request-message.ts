import { ValidateBy } from 'class-validator';

/** The longest message a request carries, in characters (code points, as PostgreSQL counts). */
export const MAX_REQUEST_MESSAGE_LENGTH = 500;

/**
 * Characters a message may not hold: control characters (Unicode `Cc`) but the line feed, lone
 * surrogates (`Cs`), the line and paragraph separators, and the invisible format characters
 * (`Cf`) but the zero-width joiner and non-joiner. Among the `Cf` are the bidirectional overrides
 * and isolates (U+202A–U+202E, U+2066–U+2069), which make text read in another order than it is
 * stored (a "Trojan Source" message could show the owner something else than the requester
 * wrote), and invisible characters (zero-width space, word joiner, byte order mark, the tag
 * characters U+E0000–U+E007F), which hide text or make two messages look alike. The joiners stay:
 * emoji sequences and scripts such as Persian and the Indic ones need them.
 */
const FORBIDDEN = /(?![\n\u200c\u200d])[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;

/** A message as it is kept: Windows line ends as `\n`, without surrounding white space. */
export function normalizeRequestMessage(message: string): string {
  return message.replaceAll('\r\n', '\n').trim();
}

function codePoint(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `value` cannot be a request's message, or `undefined` when it can: a string of 1 to
 * {@link MAX_REQUEST_MESSAGE_LENGTH} characters once normalised ({@link normalizeRequestMessage}),
 * plain text without the {@link FORBIDDEN} characters.
 */
export function requestMessageError(value: unknown, field = 'message'): string | undefined {
  if (typeof value !== 'string') {
    return `${field} must be a string`;
  }
  const message = normalizeRequestMessage(value);
  // oxlint-disable-next-line typescript/no-misused-spread -- code points are what PostgreSQL counts
  const length = [...message].length;
  if (length === 0) {
    return `${field} must not be empty or only white space (leave it out instead)`;
  }
  if (length > MAX_REQUEST_MESSAGE_LENGTH) {
    return `${field} must be at most ${MAX_REQUEST_MESSAGE_LENGTH} characters (it has ${length})`;
  }
  const forbidden = FORBIDDEN.exec(message);
  if (forbidden !== null) {
    return (
      `${field} must be plain text: control and invisible formatting characters (such as ` +
      `bidirectional overrides or zero-width spaces) are not allowed, line breaks are ` +
      `(found ${codePoint(forbidden[0])})`
    );
  }
  return undefined;
}

/** A request's message: see {@link requestMessageError}. */
export function IsRequestMessage(): PropertyDecorator {
  return ValidateBy({
    name: 'isRequestMessage',
    validator: {
      validate: (value: unknown) => requestMessageError(value) === undefined,
      defaultMessage: (args) =>
        requestMessageError(args?.value, args?.property) ?? 'invalid message',
    },
  });
}
