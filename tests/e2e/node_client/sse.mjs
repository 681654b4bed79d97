// The graphql-sse npm client (distinct connections mode), unchanged: subscribe to one workshop over
// Server-Sent Events and print every result as one JSON line. Usage:
//   node sse.mjs http://127.0.0.1:PORT/graphql <token> <workshopId> <after> <count>
import { createClient } from 'graphql-sse';

const [url, token, workshopId, after, count] = process.argv.slice(2);
const client = createClient({ url, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
const query = `subscription($id: ID!, $after: Position) { workshop(id: $id, after: $after) {
  position eventType workshop { capacity } } }`;
let seen = 0;
const done = (code) => { client.dispose(); process.exit(code); };
client.subscribe(
  { query, variables: { id: workshopId, after: Number(after) } },
  {
    next: (message) => {
      console.log(JSON.stringify(message));
      if (++seen >= Number(count)) done(0);
    },
    error: (error) => { console.error('error', String(error?.message ?? error)); done(2); },
    complete: () => done(seen >= Number(count) ? 0 : 3),
  },
);
console.log(JSON.stringify({ connected: true }));
setTimeout(() => { console.error('timeout'); done(4); }, 60000);
