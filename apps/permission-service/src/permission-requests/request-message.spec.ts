import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import {
  IsRequestMessage,
  MAX_REQUEST_MESSAGE_LENGTH,
  normalizeRequestMessage,
  requestMessageError,
} from './request-message.ts';

class Request {
  @IsRequestMessage()
  message: unknown;
}

function messages(value: unknown): string[] {
  const request = new Request();
  request.message = value;
  return validateSync(request).flatMap((error) => Object.values(error.constraints ?? {}));
}

describe(requestMessageError.name, () => {
  it('accepts plain text with line breaks, emoji and joined scripts', () => {
    expect(requestMessageError('Hi Alice,\nmay I see the wedding photos? 🙂')).toBeUndefined();
    // A family emoji (zero-width joiners) and Persian with a zero-width non-joiner.
    expect(requestMessageError('👨\u200d👩\u200d👧 می\u200cخواهم')).toBeUndefined();
  });

  it(`accepts ${MAX_REQUEST_MESSAGE_LENGTH} characters counted by code point, not one more`, () => {
    expect(requestMessageError('😀'.repeat(MAX_REQUEST_MESSAGE_LENGTH))).toBeUndefined();
    expect(requestMessageError('a'.repeat(MAX_REQUEST_MESSAGE_LENGTH + 1))).toBe(
      `message must be at most ${MAX_REQUEST_MESSAGE_LENGTH} characters (it has ${MAX_REQUEST_MESSAGE_LENGTH + 1})`,
    );
  });

  it('counts the length after trimming', () => {
    expect(requestMessageError(`  ${'a'.repeat(MAX_REQUEST_MESSAGE_LENGTH)}\n `)).toBeUndefined();
  });

  it('refuses an empty or blank message', () => {
    expect(requestMessageError('')).toMatch(/must not be empty/);
    expect(requestMessageError(' \n\t ')).toMatch(/must not be empty/);
  });

  it('refuses what is not a string', () => {
    for (const value of [42, null, ['hi'], { text: 'hi' }, true]) {
      expect(requestMessageError(value)).toBe('message must be a string');
    }
  });

  it.each([
    ['a tab', 'a\tb', 'U+0009'],
    ['a lone carriage return', 'a\rb', 'U+000D'],
    ['NUL', 'a\u0000b', 'U+0000'],
    ['an escape sequence', 'a\u001b[31mred', 'U+001B'],
    ['DEL', 'a\u007fb', 'U+007F'],
    ['a C1 control', 'a\u0085b', 'U+0085'],
    ['a right-to-left override', 'invoice\u202Etxt.exe', 'U+202E'],
    ['a bidirectional isolate', 'a\u2066b\u2069', 'U+2066'],
    ['a right-to-left mark', 'a\u200Fb', 'U+200F'],
    ['a zero-width space', 'pay\u200Bpal', 'U+200B'],
    ['a word joiner', 'a\u2060b', 'U+2060'],
    ['a byte order mark inside', 'a\uFEFFb', 'U+FEFF'],
    ['a soft hyphen', 'a\u00ADb', 'U+00AD'],
    ['an invisible tag character', 'hi\u{E0041}\u{E0042}', 'U+E0041'],
    ['a line separator', 'a\u2028b', 'U+2028'],
    ['a lone surrogate', 'a\uD800b', 'U+D800'],
  ])('refuses %s and names it', (_name, value, found) => {
    expect(requestMessageError(value)).toContain(`(found ${found})`);
  });

  it('takes Windows line ends as line breaks', () => {
    expect(requestMessageError('one\r\ntwo')).toBeUndefined();
    expect(normalizeRequestMessage('  one\r\ntwo \n')).toBe('one\ntwo');
  });
});

describe(IsRequestMessage.name, () => {
  it('says why, naming the field', () => {
    expect(messages('fine')).toEqual([]);
    expect(messages('a'.repeat(501))).toEqual([
      'message must be at most 500 characters (it has 501)',
    ]);
    expect(messages(7)).toEqual(['message must be a string']);
    expect(messages('a\u202Eb')[0]).toMatch(/^message must be plain text: .*\(found U\+202E\)$/);
  });
});
