/**
 * This package's version, written from package.json by `pnpm version-sync` (run by
 * `pnpm changeset-version`).
 *
 * @since 0.1.0
 * @internal
 */
export const version = "0.1.0"
