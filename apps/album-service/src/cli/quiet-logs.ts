/**
 * Imported first by the commands: their log lines (each Keycloak call is one, at `info`) go to
 * stdout with the report, so below `warn` only when `LOG_LEVEL` asks for them. It must run before
 * the logger is created, which reads `LOG_LEVEL` once.
 */
process.env['LOG_LEVEL'] ??= 'warn';
