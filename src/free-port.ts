import { createServer } from 'node:net';

/**
 * Ports this project chooses for its own servers lie below Linux's ephemeral range (32768 and up), where the system
 * picks the port of every `listen(0)` and of every outgoing connection. A port chosen there and bound a moment later
 * can be taken meanwhile, and the Temporal CLI's dev server picks its internal services' ports there itself: a port
 * of ours released and then handed to it (or the other way round) ends one of the two at start-up ("address already
 * in use"). From 20000, away from the documented 4310 a developer may be using.
 */
const lowest = 20_000;
const span = 12_000;

/** A base port whose `offsets` are all free on loopback now (five consecutive ones for a sandbox, by default). */
export async function freeBasePort(offsets = [0, 1, 2, 3, 4]): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = lowest + Math.floor(Math.random() * span);
    const free = await Promise.all(offsets.map((offset) => isFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`found no free ports at offsets ${offsets.join(', ')} of a base port`);
}

/** One loopback port free now (whoever binds it next may still race another chooser of this range for it). */
export function freeLoopbackPort(): Promise<number> {
  return freeBasePort([0]);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}
