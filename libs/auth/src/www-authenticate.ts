/**
 * A `WWW-Authenticate` parameter value as an HTTP quoted-string (RFC 9110 §5.6.4): backslash and
 * double quote are escaped, so a realm, description or ticket can never end the value early or
 * add parameters of its own.
 */
export function quotedString(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
