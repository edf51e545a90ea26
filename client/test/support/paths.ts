import { fileURLToPath } from 'node:url';

/** The client package, seen from client/dist/test/support/. */
export const CLIENT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The repository root: the service's package and its build. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
