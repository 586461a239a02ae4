// flow.mjs drives Gatehouse's OpenID Connect provider with openid-client,
// a certified relying-party library nobody on the Gatehouse team wrote.
// e2e/openid_client_test.go runs it against the real binary; it also runs
// by hand:
//
//   node e2e/js/flow.mjs --issuer http://127.0.0.1:8080/api/v1/oauth2 \
//     --client-id ID --client-secret SECRET --redirect-uri http://rp.example.test/cb \
//     --username alice --password '…'
//
// Each option may instead come from the environment: OIDC_ISSUER,
// OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI, OIDC_USERNAME,
// OIDC_PASSWORD, OIDC_SCOPE, OIDC_AUTH (post | basic), OIDC_CONSENT
// (allow: answer a consent page). An empty client secret means a public
// client (token_endpoint_auth_method none).
//
// The flow: discovery; an authorization URL with PKCE S256, state and
// nonce; a user agent with a cookie jar that follows redirects, fills in
// the sign-in form (and the consent form) and stops at the redirect URI
// without fetching it; the code exchange, with the library's ID token
// checks plus signature verification against the JWKS; userinfo;
// introspection (confidential clients); revocation; introspection and
// userinfo after revocation; refresh (when a refresh token was issued:
// rotation, then reuse of the spent token); client_credentials (when the
// application allows it).
// It prints one JSON line of what it saw; on any failure it prints the
// error as JSON on stderr and exits 1 (2 for missing options).

import { parseArgs } from 'node:util';
import * as client from 'openid-client';

const opts = parseArgs({
  options: {
    issuer: { type: 'string', default: process.env.OIDC_ISSUER },
    'client-id': { type: 'string', default: process.env.OIDC_CLIENT_ID },
    'client-secret': { type: 'string', default: process.env.OIDC_CLIENT_SECRET ?? '' },
    'redirect-uri': { type: 'string', default: process.env.OIDC_REDIRECT_URI },
    username: { type: 'string', default: process.env.OIDC_USERNAME },
    password: { type: 'string', default: process.env.OIDC_PASSWORD },
    scope: { type: 'string', default: process.env.OIDC_SCOPE ?? 'openid profile email' },
    auth: { type: 'string', default: process.env.OIDC_AUTH ?? 'post' },
    consent: { type: 'string', default: process.env.OIDC_CONSENT ?? '' },
  },
  strict: true,
}).values;

const missing = ['issuer', 'client-id', 'redirect-uri', 'username', 'password'].filter((k) => !opts[k]);
if (missing.length > 0) {
  process.stderr.write(JSON.stringify({ error: `missing ${missing.map((k) => '--' + k).join(', ')}` }) + '\n');
  process.exit(2);
}

// fail prints the error (with what the server answered, when known) and
// exits 1.
async function fail(err) {
  const out = { error: String(err?.message ?? err) };
  if (err?.code) out.code = err.code;
  if (err?.status) out.status = err.status;
  const body = await answer(err);
  if (body !== undefined) out.body = body;
  process.stderr.write(JSON.stringify(out) + '\n');
  process.exit(1);
}

// answer is the server's answer kept by a library error: the parsed error
// body, or the body of a response that came with a WWW-Authenticate
// challenge (the library throws those before reading the body).
async function answer(err) {
  if (err?.cause?.body !== undefined) return err.cause.body;
  if (err instanceof client.ResponseBodyError) return err.cause;
  if (err instanceof client.WWWAuthenticateChallengeError && err.response && !err.response.bodyUsed) {
    const text = await err.response.text().catch(() => '');
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return undefined;
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// oauthError returns the OAuth error code of a call that failed with an
// OAuth error answer (null when it succeeded), and rethrows any other
// failure.
async function oauthError(promise) {
  try {
    await promise;
  } catch (err) {
    if (err instanceof client.ResponseBodyError) return err.error;
    if (err instanceof client.WWWAuthenticateChallengeError) {
      const fromChallenge = err.cause?.find((c) => c.parameters?.error)?.parameters.error;
      return fromChallenge ?? (await answer(err))?.error ?? `HTTP ${err.status}`;
    }
    throw err;
  }
  return null;
}

// Jar is a cookie jar for one server: name -> value, honouring Max-Age
// and Expires deletions. Gatehouse's cookies are host-only with Path=/.
class Jar {
  #cookies = new Map();

  store(headers) {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let gone = value === '';
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'max-age' && Number(v) <= 0) gone = true;
        if (key === 'expires' && Date.parse(v) <= Date.now()) gone = true;
      }
      if (gone) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

// Browser follows redirects by hand (redirect: 'manual', so that Location
// and Set-Cookie of each hop are seen) and stops at the first redirect to
// the application's redirect URI, which it does not fetch.
class Browser {
  constructor(stopAt) {
    this.jar = new Jar();
    this.stopAt = new URL(stopAt);
  }

  isCallback(u) {
    return u.origin === this.stopAt.origin && u.pathname === this.stopAt.pathname;
  }

  // navigate sends one request and follows redirects; it returns
  // {callback: URL} at the redirect URI, or {url, status, body} for a page.
  async navigate(url, init = {}) {
    let u = new URL(url);
    let req = init;
    for (let hop = 0; hop < 10; hop++) {
      const headers = new Headers(req.headers);
      const cookie = this.jar.header();
      if (cookie) headers.set('cookie', cookie);
      const res = await fetch(u, { ...req, headers, redirect: 'manual' });
      this.jar.store(res.headers);
      const loc = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && loc) {
        await res.arrayBuffer();
        const next = new URL(loc, u);
        if (this.isCallback(next)) return { callback: next };
        u = next;
        req = {}; // 302/303 after a form: GET the next page
        continue;
      }
      return { url: u, status: res.status, body: await res.text() };
    }
    throw new Error(`more than 10 redirects from ${url}`);
  }

  // submit posts the page's form (its action, its hidden fields, plus
  // fields) the way a browser would.
  async submit(page, fields) {
    const form = page.body.match(/<form[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/);
    check(form, `no form on the page at ${page.url} (${page.status}): ${page.body.slice(0, 500)}`);
    const body = new URLSearchParams();
    for (const m of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      body.set(m[1], unescapeHTML(m[2]));
    }
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    const action = new URL(unescapeHTML(form[1]), page.url);
    return this.navigate(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: page.url.origin },
      body,
    });
  }
}

function unescapeHTML(s) {
  return s
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&#34;', '"')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}

async function main() {
  const issuer = new URL(opts.issuer);
  const secret = opts['client-secret'];
  let auth;
  if (!secret) auth = client.None();
  else if (opts.auth === 'basic') auth = client.ClientSecretBasic(secret);
  else if (opts.auth === 'post') auth = client.ClientSecretPost(secret);
  else throw new Error(`--auth must be post or basic, not ${opts.auth}`);

  const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
  const config = await client.discovery(issuer, opts['client-id'], undefined, auth, { execute });
  // Verify ID token signatures against jwks_uri too (by default the
  // library trusts an ID token that came straight from the token endpoint).
  client.enableNonRepudiationChecks(config);
  const meta = config.serverMetadata();
  check(meta.issuer === opts.issuer, `discovered issuer ${meta.issuer}`);
  check(meta.code_challenge_methods_supported?.includes('S256'), 'S256 is not advertised');

  // 1. Authorization request: code + PKCE S256 + state + nonce.
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authURL = client.buildAuthorizationUrl(config, {
    redirect_uri: opts['redirect-uri'],
    scope: opts.scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });

  // 2. The user agent: sign in, consent when asked, stop at the callback.
  const browser = new Browser(opts['redirect-uri']);
  let page = await browser.navigate(authURL);
  check(!page.callback, `redirected to the application before signing in: ${page.callback}`);
  check(page.status === 200 && page.url.pathname === '/api/v1/login', `expected the sign-in page, got ${page.status} ${page.url}`);
  page = await browser.submit(page, { username: opts.username, password: opts.password });
  let consented = false;
  if (!page.callback && page.body?.includes('action="/api/v1/oauth2/consent"')) {
    check(opts.consent === 'allow', 'the provider asked for consent but --consent allow was not given');
    page = await browser.submit(page, { decision: 'allow' });
    consented = true;
  }
  check(page.callback, `not sent back to the application: ${page.status} ${page.url}\n${page.body?.slice(0, 500)}`);

  // 3. Code exchange with the library's checks: state, PKCE verifier,
  // nonce, and the ID token's iss, aud, exp, iat, azp and signature.
  const tokens = await client.authorizationCodeGrant(config, page.callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  check(claims.nonce === nonce, 'nonce mismatch');
  const idHeader = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url'));

  // 4. userinfo; the library checks its sub against the ID token's.
  const ui = await client.fetchUserInfo(config, tokens.access_token, claims.sub);

  const out = {
    issuer: meta.issuer,
    consented,
    sub: claims.sub,
    email: claims.email ?? null,
    preferred_username: claims.preferred_username ?? null,
    name: claims.name ?? null,
    id_token_alg: idHeader.alg,
    id_token_aud: claims.aud,
    token_type: tokens.token_type,
    scope: tokens.scope,
    access_token_jwt: tokens.access_token.split('.').length === 3,
    userinfo: { sub: ui.sub, id: ui.id, userName: ui.userName, email: ui.email },
  };

  // 5. Introspection (confidential clients only), revocation, then
  // introspection and userinfo again.
  const confidential = Boolean(secret);
  const before = confidential
    ? await client.tokenIntrospection(config, tokens.access_token, { token_type_hint: 'access_token' })
    : null;
  await client.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });
  const after = confidential ? await client.tokenIntrospection(config, tokens.access_token) : null;
  out.introspection = confidential
    ? {
        active_before: before.active,
        sub: before.sub,
        client_id: before.client_id,
        username: before.username,
        scope: before.scope,
        token_type: before.token_type,
        active_after: after.active,
      }
    : null;
  out.userinfo_after_revocation = await oauthError(client.fetchUserInfo(config, tokens.access_token, claims.sub));

  // 6. Refresh, when the application issues refresh tokens: rotation,
  // then the spent token again (reuse detection revokes the family).
  if (tokens.refresh_token) {
    const fresh = await client.refreshTokenGrant(config, tokens.refresh_token);
    check(fresh.refresh_token && fresh.refresh_token !== tokens.refresh_token, 'the refresh token did not rotate');
    const freshUI = await client.fetchUserInfo(config, fresh.access_token, claims.sub);
    const reuse = await oauthError(client.refreshTokenGrant(config, tokens.refresh_token));
    const family = await oauthError(client.refreshTokenGrant(config, fresh.refresh_token));
    out.refresh = {
      rotated: true,
      id_token_sub: fresh.claims()?.sub ?? null,
      userinfo_sub: freshUI.sub,
      reuse_error: reuse,
      family_after_reuse: family,
      userinfo_after_reuse: await oauthError(client.fetchUserInfo(config, fresh.access_token, claims.sub)),
    };
  } else {
    out.refresh = null;
  }

  // 7. client_credentials, when the application allows it.
  const ccErr = await oauthError(
    client.clientCredentialsGrant(config).then(async (cc) => {
      out.client_credentials = { allowed: true, token_type: cc.token_type, scope: cc.scope ?? null };
      const i = await client.tokenIntrospection(config, cc.access_token);
      out.client_credentials.active = i.active;
      out.client_credentials.sub = i.sub;
    }),
  );
  if (ccErr) out.client_credentials = { allowed: false, error: ccErr };

  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch(fail);
