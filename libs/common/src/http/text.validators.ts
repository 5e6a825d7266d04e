import { applyDecorators } from '@nestjs/common';
import { IsString, ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * A string PostgreSQL can store in a `varchar(maxLength)` column and in JSON: no NUL (PostgreSQL
 * refuses it in text), no lone UTF-16 surrogate (its JSON escape is refused by `json` columns, such
 * as the outbox's snapshots), and at most `maxLength` characters counted as PostgreSQL counts them,
 * by code point (class-validator's `MaxLength` leaves out variation selectors, so its count can be
 * lower).
 */
export function IsStorableText(maxLength: number, options?: ValidationOptions): PropertyDecorator {
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
            // oxlint-disable-next-line typescript/no-misused-spread -- code points are what PostgreSQL counts
            [...value].length <= maxLength,
          defaultMessage: (args) =>
            `${args?.property ?? 'value'} must be at most ${maxLength} characters of well-formed text, without NUL`,
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
