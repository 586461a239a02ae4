// cas.mjs runs small web applications protected by http-cas-client 0.4.3,
// a CAS client library nobody on the Gatehouse team wrote, each used the
// way its README shows: `httpCasClient(options)` gives a handler that an
// application calls first in every request; the handler sends the browser
// to the CAS server's /login, validates the ticket the browser brings back,
// remembers the user in a cookie, and hands the application req.principal
// ({ user, attributes }) and req.ticket (which buys proxy tickets).
// e2e/cas_client_node_test.go runs it against the real binary and drives the
// applications with a browser; it also runs by hand:
//
//   node e2e/js/cas.mjs --cas-url http://127.0.0.1:8080/api/v1/cas \
//     --tls-cert cert.pem --tls-key key.pem
//
// The applications, each on its own port of 127.0.0.1:
//
//   v3       CAS 3.0 (/p3/serviceValidate), with attributes
//   v2       CAS 2.0 (/serviceValidate)
//   gateway  CAS 3.0 with gateway=true: a visitor without a session comes
//            back without a ticket and gets 403
//   renew    CAS 3.0 with renew=true: the user signs in again
//   proxy    https, CAS 3.0 with a proxy callback (pgtUrl) on itself; its
//            page calls the backend with a proxy ticket
//   backend  CAS 3.0 accepting proxy tickets (/p3/proxyValidate)
//
// Every page answers JSON: what the library told the application
// ({app, user, attributes, ticket}), or {app, error} with status 401 when
// the library refused the ticket. Each application keeps its ticket in its
// own cookie (st_<app>), through the handler's documented hooks, because
// cookies do not tell ports apart.
//
// Once listening, it prints one JSON line {"v3": "http://127.0.0.1:PORT", …}
// and serves until its standard input closes.

import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import httpCasClient from 'http-cas-client';

const opts = parseArgs({
  options: {
    'cas-url': { type: 'string', default: process.env.CAS_URL },
    'tls-cert': { type: 'string', default: process.env.CAS_TLS_CERT },
    'tls-key': { type: 'string', default: process.env.CAS_TLS_KEY },
  },
  strict: true,
}).values;
const missing = ['cas-url', 'tls-cert', 'tls-key'].filter((k) => !opts[k]);
if (missing.length > 0) {
  process.stderr.write(JSON.stringify({ error: `missing ${missing.map((k) => '--' + k).join(', ')}` }) + '\n');
  process.exit(2);
}
const tls = { cert: readFileSync(opts['tls-cert']), key: readFileSync(opts['tls-key']) };

// listen starts a server on a free port of 127.0.0.1 and returns its origin.
function listen(server, scheme) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`${scheme}://127.0.0.1:${server.address().port}`));
  });
}

// cookieHooks keep an application's ticket in its own cookie.
function cookieHooks(name, req, res) {
  const cookie = `st_${name}`;
  return {
    getTicket: () => readCookie(req, cookie),
    ticketCreated: (id) => res.setHeader('Set-Cookie', `${cookie}=${encodeURIComponent(id)}; Path=/; HttpOnly`),
    ticketDestroyed: () => res.setHeader('Set-Cookie', `${cookie}=; Path=/; HttpOnly; Max-Age=0`),
  };
}

function readCookie(req, name) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function sendJSON(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

// app is one protected application: the CAS handler first, then page().
function app(name, options, page) {
  return async (req, res) => {
    try {
      const hooks = cookieHooks(name, req, res);
      if (!(await handler(name, options)(req, res, hooks))) {
        res.end(); // the handler answered: a redirect, the PGT callback, or 403 (gateway)
        return;
      }
      const out = { app: name, user: req.principal.user, ticket: hooks.getTicket() };
      if (req.principal.attributes !== undefined) out.attributes = req.principal.attributes;
      sendJSON(res, 200, await page(req, out));
    } catch (err) {
      sendJSON(res, 401, { app: name, error: String(err?.message ?? err) });
    }
  };
}

// One handler per application, made once.
const handlers = new Map();
function handler(name, options) {
  if (!handlers.has(name)) handlers.set(name, httpCasClient(options));
  return handlers.get(name);
}

const servers = {
  v3: http.createServer(),
  v2: http.createServer(),
  gateway: http.createServer(),
  renew: http.createServer(),
  proxy: https.createServer(tls),
  backend: http.createServer(),
};
const urls = {};
for (const [name, server] of Object.entries(servers)) {
  urls[name] = await listen(server, server instanceof https.Server ? 'https' : 'http');
}

const casServerUrlPrefix = opts['cas-url'];
const base = (name) => ({ casServerUrlPrefix, serverName: urls[name] });
const plain = async (_req, out) => out;

servers.v3.on('request', app('v3', { ...base('v3'), cas: 3 }, plain));
servers.v2.on('request', app('v2', { ...base('v2'), cas: 2 }, plain));
servers.gateway.on('request', app('gateway', { ...base('gateway'), client: { gateway: true } }, plain));
servers.renew.on('request', app('renew', { ...base('renew'), client: { renew: true } }, plain));
servers.backend.on('request', app('backend', { ...base('backend'), client: { proxy: { acceptAny: true } } }, plain));
servers.proxy.on('request', app('proxy', {
  ...base('proxy'),
  client: { proxy: { callbackUrl: `${urls.proxy}/pgtCallback`, receptorUrl: '/pgtCallback' } },
}, async (req, out) => {
  // The library's proxy API: a proxy ticket for the backend, presented
  // there, gives an axios instance holding the backend's session.
  const backend = await req.ticket.request(`${urls.backend}/`);
  const answer = await backend.get('/');
  return { ...out, backend: answer.data };
}));

process.stdout.write(JSON.stringify(urls) + '\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
