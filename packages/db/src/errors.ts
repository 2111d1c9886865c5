export class InvalidDatabaseUrl extends Error {
  readonly code = 'INVALID_ARGUMENT';
}
