import { createServer } from 'node:net';

/**
 * A base port whose `offsets` are all free on loopback (five consecutive ones for a sandbox, by default), below
 * Linux's ephemeral range (32768 and up, where the system picks the local ports of outgoing connections) and away
 * from the documented 4310 a developer may be using.
 */
export async function freeBasePort(offsets = [0, 1, 2, 3, 4]): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
    });
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all(offsets.map((offset) => isFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`found no free ports at offsets ${offsets.join(', ')} of a base port`);
}
