import { describe, expect, it } from 'vitest';
import { KEYCLOAK_TEXT_MAX_UTF16, storableDisplayName } from './uma-resources.options.ts';

describe(storableDisplayName.name, () => {
  it('keeps a display name that fits', () => {
    const fits = 'é'.repeat(KEYCLOAK_TEXT_MAX_UTF16);
    expect(storableDisplayName(fits)).toBe(fits);
  });

  it('cuts a longer one to 255 UTF-16 code units', () => {
    expect(storableDisplayName('a'.repeat(300))).toBe('a'.repeat(255));
  });

  it('cuts before a surrogate pair rather than through it', () => {
    const cut = storableDisplayName('😀'.repeat(200));
    expect(cut).toBe('😀'.repeat(127));
    expect(cut.isWellFormed()).toBe(true);
  });
});
