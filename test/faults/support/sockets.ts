import { readFileSync } from 'node:fs';

/** TCP states in which a side has not closed its end yet: ESTABLISHED, CLOSE_WAIT. */
const OPEN_STATES = new Set(['01', '08']);
const portOf = (address: string) => parseInt(address.split(':')[1], 16);

/**
 * Whether the server listening on loopback `serverPort` still holds its end of the connection
 * from `clientPort` open, as Linux's /proc/net/tcp shows it: once the client has gone, the end
 * closes when the server notices.
 */
export function serverHoldsConnection(serverPort: number, clientPort: number): boolean {
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => {
      const [, local, remote, state] = line.trim().split(/\s+/);
      return (
        local !== undefined &&
        portOf(local) === serverPort &&
        portOf(remote) === clientPort &&
        OPEN_STATES.has(state)
      );
    });
}
