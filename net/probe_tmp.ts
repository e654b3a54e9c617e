import { morticeChannelClosed, Transport } from "./transport.ts";
import { seedKeyPair } from "../actors/keys.ts";
const host = Deno.args[0] ?? "127.0.0.1";
const p1 = await seedKeyPair(1, 1), p2 = await seedKeyPair(1, 2);
const got = Promise.withResolvers<void>();
const a = await Transport.start({
  id: 1,
  pair: p1,
  listen: { host, port: 45111 },
  peers: [{ id: 2, publicKey: p2.publicKey, host: Deno.args[1] ?? "127.0.0.1", port: 45112 }],
  maxMessageBytes: 1000,
  onMessage: () => {},
});
const b = await Transport.start({
  id: 2,
  pair: p2,
  listen: { host, port: 45112 },
  peers: [{ id: 1, publicKey: p1.publicKey, host: "127.0.0.1", port: 45111 }],
  maxMessageBytes: 1000,
  onMessage: (f, d) => {
    console.log("got", f, d);
    got.resolve();
  },
});
a.send(2, Uint8Array.of(1));
await got.promise;
console.log(await a.request(2, Uint8Array.of(1), 500), a.address(), b.connected());
await a.stop();
await b.stop();
console.log("stopped; channel closed:", morticeChannelClosed);
