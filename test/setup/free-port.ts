import net from 'node:net';

export { freePort } from '../../src/net/free-port';

/**
 * A free port below Linux's ephemeral range (32768+), for a server that stops
 * listening and must get its port back: no outgoing connection is given it meanwhile.
 */
export async function freePortOutsideEphemeralRange(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
