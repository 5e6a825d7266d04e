import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { IsStorableText } from './text.validators.ts';

class CodePoints {
  @IsStorableText(3)
  value: string;
}

class Utf16Units {
  @IsStorableText(3, { unit: 'utf16' })
  value: string;
}

function messages(target: CodePoints | Utf16Units, value: string): string[] {
  target.value = value;
  return validateSync(target).flatMap((error) => Object.values(error.constraints ?? {}));
}

describe(IsStorableText.name, () => {
  it('counts code points by default: three emoji fit in 3', () => {
    expect(messages(new CodePoints(), '😀😀😀')).toEqual([]);
  });

  it('counts UTF-16 code units with unit utf16: an emoji counts as 2', () => {
    expect(messages(new Utf16Units(), '😀a')).toEqual([]);
    expect(messages(new Utf16Units(), '😀😀')).toEqual([
      'value must be at most 3 characters counted in UTF-16 code units (an emoji counts as 2) of well-formed text, without NUL',
    ]);
  });

  it('refuses NUL and lone surrogates either way', () => {
    expect(messages(new Utf16Units(), 'a\u0000')).toHaveLength(1);
    expect(messages(new CodePoints(), '\ud800')).toHaveLength(1);
  });
});
