import { applyDecorators } from '@nestjs/common';
import { IsString, ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

/** How {@link IsStorableText} counts a length. */
export interface StorableTextOptions extends ValidationOptions {
  /**
   * `code-point` (the default) counts as PostgreSQL counts a `varchar`; `utf16` counts UTF-16 code
   * units, as Keycloak's H2 store (Java strings) and an HTML `maxlength` count: text that Keycloak
   * stores (an album's name, as its resource's display name) must fit that way, where an emoji
   * counts as 2.
   */
  readonly unit?: 'code-point' | 'utf16';
}

/**
 * A string PostgreSQL can store in a `varchar(maxLength)` column and in JSON: no NUL (PostgreSQL
 * refuses it in text), no lone UTF-16 surrogate (its JSON escape is refused by `json` columns, such
 * as the outbox's snapshots), and at most `maxLength` characters counted as PostgreSQL counts them,
 * by code point (class-validator's `MaxLength` leaves out variation selectors, so its count can be
 * lower), or in UTF-16 code units with `unit: 'utf16'` (never more code points, then, either).
 */
export function IsStorableText(
  maxLength: number,
  { unit = 'code-point', ...options }: StorableTextOptions = {},
): PropertyDecorator {
  const length = (value: string) =>
    // oxlint-disable-next-line typescript/no-misused-spread -- code points are what PostgreSQL counts
    unit === 'utf16' ? value.length : [...value].length;
  const limit =
    unit === 'utf16'
      ? `${maxLength} characters counted in UTF-16 code units (an emoji counts as 2)`
      : `${maxLength} characters`;
  return applyDecorators(
    IsString(options),
    ValidateBy(
      {
        name: 'isStorableText',
        validator: {
          validate: (value: unknown) =>
            typeof value === 'string' &&
            value.isWellFormed() &&
            !value.includes('\u0000') &&
            length(value) <= maxLength,
          defaultMessage: (args) =>
            `${args?.property ?? 'value'} must be at most ${limit} of well-formed text, without NUL`,
        },
      },
      options,
    ),
  );
}

/** The field may be left out, but when it is sent it must be valid: `null` is not "left out". */
export function OmittedOr(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
