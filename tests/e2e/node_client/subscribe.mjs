// The graphql-ws npm client, unchanged: subscribe to one workshop on a citynet server and print every
// message as one JSON line on stdout; the Python test reads them. Usage:
//   node subscribe.mjs ws://127.0.0.1:PORT/graphql <token> <workshopId> <after> <count>
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, workshopId, after, count] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
});
const query = `subscription($id: ID!, $after: Position) { workshop(id: $id, after: $after) {
  position eventType workshop { capacity } } }`;
let seen = 0;
const done = (code) => { client.dispose(); process.exit(code); };
client.on('connected', () => console.log(JSON.stringify({ connected: true })));
client.subscribe(
  { query, variables: { id: workshopId, after: Number(after) } },
  {
    next: (message) => {
      console.log(JSON.stringify(message));
      if (++seen >= Number(count)) done(0);
    },
    error: (error) => { console.error('error', JSON.stringify(error?.message ?? error?.reason ?? error)); done(2); },
    complete: () => done(seen >= Number(count) ? 0 : 3),
  },
);
setTimeout(() => { console.error('timeout'); done(4); }, 60000);
