import { applyDecorators } from '@nestjs/common';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn } from 'class-validator';
import { ALBUM_SCOPES } from '@app/common';

/** A non-empty set of album scopes, each named once; `whenEmpty` says what an empty set means. */
export function IsAlbumScopeSet(
  whenEmpty = 'scopes must name at least one scope',
): PropertyDecorator {
  return applyDecorators(
    IsArray(),
    ArrayMinSize(1, { message: whenEmpty }),
    ArrayUnique({ message: 'scopes must not repeat a scope' }),
    IsIn(ALBUM_SCOPES, { each: true, message: `scopes must be among ${ALBUM_SCOPES.join(', ')}` }),
  );
}
