/**
 * The condition under which a row of the grant record (`uma_access.current_grants`) is in force:
 * it has no expiry, or its expiry is still to come. Every read that decides or shows access puts
 * it in its `WHERE` (or its join), so that a grant stops opening anything at its `expires_at` on
 * every instance at once, whether or not the sweep has removed the row yet. `alias`: the table's
 * alias in the statement, if any.
 */
export function liveGrant(alias?: string): string {
  const column = alias === undefined ? 'expires_at' : `${alias}.expires_at`;
  return `(${column} IS NULL OR ${column} > now())`;
}
