package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Peers are other OpenID providers measured beside Gatehouse in the same
// run. The harness only runs them: each flag takes something the user
// built or installed beforehand (bench/README.md says how), and nothing of
// theirs is part of this repository. Every peer listens on loopback only.

// peerProc is a running peer, in a process group of its own so that its
// children (node's cluster workers) stop with it.
type peerProc struct {
	name    string
	cmd     *exec.Cmd
	base    string // URL prefix of its endpoints
	netns   int    // pid whose network namespace it listens in, or 0
	logPath string
	done    chan struct{}
}

func startPeer(ctx context.Context, name string, cmd *exec.Cmd, logPath, base, readyPath string, ownNetns bool) (*peerProc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &peerProc{name: name, cmd: cmd, base: base, logPath: logPath, done: make(chan struct{})}
	if ownNetns {
		p.netns = cmd.Process.Pid
	}
	go func() { cmd.Wait(); close(p.done) }()
	if err := waitHTTP(ctx, base+readyPath, p.netns, p.done, 30*time.Second); err != nil {
		p.stop()
		log, _ := os.ReadFile(logPath)
		if len(log) > 2000 {
			log = log[len(log)-2000:]
		}
		return nil, fmt.Errorf("%s: %w\n%s", name, err, log)
	}
	return p, nil
}

// stop ends the peer's process group (SIGTERM, then SIGKILL after 5 s).
func (p *peerProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// jwtTokenPrefix is how a token response starts whose access token is a
// JWS with alg first in its header: the base64url of the header's first
// twelve bytes, {"alg":"ES25 or {"alg":"RS25.
func jwtTokenPrefix(alg string) string {
	return `"access_token":"` + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+alg[:4]))
}

func formBody(kv ...string) string {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, kv[i]...)
		b = append(b, '=')
		b = append(b, kv[i+1]...)
	}
	return string(b)
}

var formHeaders = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

// Zitadel's example OP (github.com/zitadel/oidc/v3/example/server) keeps
// everything in memory and has one client_credentials client, sid1 /
// verysecret (example/server/storage/storage.go). It listens on ":PORT"
// (all interfaces, PORT from the environment, 9998 by default), so the
// harness starts it in a network namespace of its own that has only a
// loopback interface, and runs wrk inside that namespace.
func startZitadel(ctx context.Context, bin, dir string) (*peerProc, []*wrkScenario, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command("unshare", "--net", "--", "sh", "-c", `ip link set lo up && exec "$0"`, abs)
	cmd.Env = append(os.Environ(), "PORT=9998")
	p, err := startPeer(ctx, "zitadel example OP", cmd, filepath.Join(dir, "zitadel.log"), "http://localhost:9998",
		"/.well-known/openid-configuration", true)
	if err != nil {
		return nil, nil, err
	}
	t := "zitadel/oidc example OP"
	return p, []*wrkScenario{
		{key: "zitadel/token-opaque", target: t, what: "client_credentials, opaque (JWE) token", url: p.base + "/oauth/token",
			method: "POST", headers: formHeaders, body: formBody("grant_type", "client_credentials", "client_id", "sid1", "client_secret", "verysecret"),
			netns: p.netns, want: `"access_token"`},
		{key: "zitadel/jwks", target: t, what: "JWKS", url: p.base + "/keys", netns: p.netns, want: `"keys"`},
		{key: "zitadel/discovery", target: t, what: "discovery", url: p.base + "/.well-known/openid-configuration", netns: p.netns, want: `"issuer"`},
	}, nil
}

// oidcProviderScript runs npm oidc-provider with two client_credentials
// clients: cc-opaque gets opaque access tokens, cc-jwt ES256 JWTs (RFC
// 9068), each through a resource indicator that its defaultResource picks.
// With WORKERS > 1 it runs that many node processes (node:cluster) on the
// same port, one per core, as one would deploy it; they share the key set
// but not the in-memory adapter, which no measured request needs.
const oidcProviderScript = `import cluster from 'node:cluster';
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';

const port = Number(process.env.PORT);
const workers = Number(process.env.WORKERS || 1);

function keys() {
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return { keys: [{ ...rsa, kid: 'rs1', alg: 'RS256', use: 'sig' }, { ...ec, kid: 'es1', alg: 'ES256', use: 'sig' }] };
}

if (cluster.isPrimary && workers > 1) {
  const jwks = JSON.stringify(keys());
  for (let i = 0; i < workers; i++) cluster.fork({ JWKS: jwks });
} else {
  const { default: Provider } = await import(pathToFileURL(process.env.OIDCP_ENTRY).href);
  const jwks = process.env.JWKS ? JSON.parse(process.env.JWKS) : keys();
  const cc = (id) => ({ client_id: id, client_secret: id + '-secret-0123456789abcdef', grant_types: ['client_credentials'],
    redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post', scope: 'api' });
  const provider = new Provider('http://127.0.0.1:' + port, {
    jwks,
    clients: [cc('cc-opaque'), cc('cc-jwt')],
    scopes: ['api'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client) => client.clientId === 'cc-jwt' ? 'urn:bench:jwt' : 'urn:bench:opaque',
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => resource === 'urn:bench:jwt'
          ? { scope: 'api', audience: resource, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }
          : { scope: 'api', audience: resource, accessTokenTTL: 3600, accessTokenFormat: 'opaque' },
      },
    },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  provider.listen(port, '127.0.0.1');
  console.error('oidc-provider listening on port ' + port + ', pid ' + process.pid);
}
`

// startOIDCProvider runs the script above with node against the
// oidc-provider package installed under dir (npm install oidc-provider).
func startOIDCProvider(ctx context.Context, node, dir string, workers int, tmp string) (*peerProc, []*wrkScenario, error) {
	pkgDir := filepath.Join(dir, "node_modules", "oidc-provider")
	pj, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("oidc-provider: %w (run npm install oidc-provider in %s)", err, dir)
	}
	var pkg struct{ Main, Version string }
	if err := json.Unmarshal(pj, &pkg); err != nil {
		return nil, nil, fmt.Errorf("oidc-provider package.json: %w", err)
	}
	if pkg.Main == "" {
		pkg.Main = "lib/index.js"
	}
	script := filepath.Join(tmp, "oidc-provider-bench.mjs")
	if err := os.WriteFile(script, []byte(oidcProviderScript), 0o644); err != nil {
		return nil, nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), fmt.Sprintf("WORKERS=%d", workers),
		"OIDCP_ENTRY="+filepath.Join(pkgDir, pkg.Main), "NODE_ENV=production")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p, err := startPeer(ctx, "oidc-provider", cmd, filepath.Join(tmp, "oidc-provider.log"), base, "/.well-known/openid-configuration", false)
	if err != nil {
		return nil, nil, err
	}
	t := fmt.Sprintf("oidc-provider %s (%d node workers)", pkg.Version, workers)
	tok := func(id string) string {
		return formBody("grant_type", "client_credentials", "client_id", id, "client_secret", id+"-secret-0123456789abcdef", "scope", "api")
	}
	return p, []*wrkScenario{
		{key: "oidcp/token-opaque", target: t, what: "client_credentials, opaque token", url: base + "/token", method: "POST",
			headers: formHeaders, body: tok("cc-opaque"), want: `"access_token"`},
		{key: "oidcp/token-es256", target: t, what: "client_credentials, ES256 JWT", url: base + "/token", method: "POST",
			headers: formHeaders, body: tok("cc-jwt"), want: `"access_token":"eyJ`},
		{key: "oidcp/jwks", target: t, what: "JWKS", url: base + "/jwks", want: `"keys"`},
		{key: "oidcp/discovery", target: t, what: "discovery", url: base + "/.well-known/openid-configuration", want: `"issuer"`},
	}, nil
}

// dexConfig is a Dex configuration: memory storage, loopback only, the
// client_credentials grant switched on, one static confidential client,
// the local signer with alg, and the built-in password connector (Dex
// refuses to start without a connector; no measured request uses it).
func dexConfig(port int, alg string) string {
	return fmt.Sprintf(`issuer: http://127.0.0.1:%[1]d/dex
storage:
  type: memory
web:
  http: 127.0.0.1:%[1]d
logger:
  level: info
  format: json
oauth2:
  grantTypes: ["authorization_code", "refresh_token", "client_credentials"]
  skipApprovalScreen: true
signer:
  type: local
  config:
    keysRotationPeriod: "6h"
    algorithm: %[2]q
enablePasswordDB: true
staticClients:
  - id: bench-cc
    name: bench-cc
    secret: bench-cc-secret-0123456789abcdef
    redirectURIs: ["http://127.0.0.1:9/cb"]
`, port, alg)
}

// startDex runs a Dex binary the user built, with dexConfig.
func startDex(ctx context.Context, bin, alg, tmp string) (*peerProc, []*wrkScenario, error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	cfg := filepath.Join(tmp, "dex-"+alg+".yaml")
	if err := os.WriteFile(cfg, []byte(dexConfig(port, alg)), 0o644); err != nil {
		return nil, nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d/dex", port)
	p, err := startPeer(ctx, "dex "+alg, exec.Command(bin, "serve", cfg), filepath.Join(tmp, "dex-"+alg+".log"), base,
		"/.well-known/openid-configuration", false)
	if err != nil {
		return nil, nil, err
	}
	t := "Dex (" + alg + " signer)"
	cc := formBody("grant_type", "client_credentials", "client_id", "bench-cc", "client_secret", "bench-cc-secret-0123456789abcdef")
	scs := []*wrkScenario{
		{key: "dex-" + alg + "/token", target: t, what: "client_credentials, " + alg + " JWT (no scope: one signature)",
			url: base + "/token", method: "POST", headers: formHeaders, body: cc, want: jwtTokenPrefix(alg)},
		{key: "dex-" + alg + "/token-openid", target: t, what: "client_credentials, " + alg + " JWT, scope openid (access + ID token: two signatures)",
			url: base + "/token", method: "POST", headers: formHeaders, body: cc + "&scope=openid", want: `"id_token"`},
	}
	if alg == "ES256" {
		scs = append(scs,
			&wrkScenario{key: "dex-ES256/jwks", target: t, what: "JWKS", url: base + "/keys", want: `"keys"`},
			&wrkScenario{key: "dex-ES256/discovery", target: t, what: "discovery", url: base + "/.well-known/openid-configuration", want: `"issuer"`})
	}
	return p, scs, nil
}
