package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestOpenIDClient drives the provider with a second, independent relying
// party: the certified npm library openid-client 6.9.0, run by
// e2e/js/flow.mjs (installed by `npm ci --prefix e2e/js` in .ci/run). For
// three kinds of application it does discovery, code + PKCE S256 + state
// + nonce through the real sign-in (and consent) form, the code exchange
// with the library's ID token checks and a JWKS signature check, userinfo,
// introspection, revocation, refresh rotation and reuse detection, and
// client_credentials, and the test compares the library's findings with
// what the management API set up, exactly.
func TestOpenIDClient(t *testing.T) {
	node := openidClientNode(t)
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			g := start(t, b.dsn(t))
			testOpenIDClient(t, g, node)
		})
	}
}

// openidClientNode finds node and the installed library, or skips (fails
// under CI, where .ci/run installs both and a skip would hide a broken
// install step).
func openidClientNode(t *testing.T) string {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("CI") != "" {
		skip = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not on PATH: install Node.js 20 or later, then `npm ci --prefix e2e/js`, to run the openid-client test")
		return ""
	}
	if _, err := os.Stat(filepath.Join("js", "node_modules", "openid-client", "package.json")); err != nil {
		skip("e2e/js/node_modules is missing: run `npm ci --prefix e2e/js --no-audit --no-fund` to run the openid-client test")
		return ""
	}
	return node
}

func testOpenIDClient(t *testing.T, g *gh, node string) {
	const (
		user     = "carol"
		password = "C4rol#Passw0rd"
		email    = "carol@example.com"
		name     = "Carol Chen"
	)
	admin := bearer(g.token(clientID, clientSecret, nil))
	uid := g.user(admin, map[string]any{"user_name": user, "password": password, "email": email,
		"mobile": "13800002222", "name": name})
	issuer := g.url + "/api/v1/oauth2"
	userinfo := map[string]any{"sub": uid, "id": uid, "userName": user, "email": email}
	introspection := func(cid string) map[string]any {
		return map[string]any{"active_before": true, "sub": uid, "client_id": cid, "username": user,
			"scope": "openid profile email", "token_type": "Bearer", "active_after": false}
	}
	refreshed := map[string]any{"rotated": true, "id_token_sub": uid, "userinfo_sub": uid, "reuse_error": "invalid_grant",
		"family_after_reuse": "invalid_grant", "userinfo_after_reuse": "invalid_token"}
	noCC := map[string]any{"allowed": false, "error": "unauthorized_client"}

	cases := []struct {
		name string
		oidc map[string]any
		args []string
		want func(cid string) map[string]any
	}{{
		// The brief's application: code + client_credentials, the
		// defaults otherwise (opaque tokens, RS256, no refresh, secret in
		// the form).
		name: "confidential",
		oidc: map[string]any{"redirect_uris": []string{cb}, "grant_types": []string{"authorization_code", "client_credentials"}},
		args: []string{"--auth", "post"},
		want: func(cid string) map[string]any {
			return map[string]any{"consented": false, "id_token_alg": "RS256", "access_token_jwt": false,
				"introspection": introspection(cid), "refresh": nil,
				"client_credentials": map[string]any{"allowed": true, "token_type": "bearer", "scope": "profile email phone",
					"active": true, "sub": cid}}
		},
	}, {
		// Consent, refresh tokens, RFC 9068 JWT access tokens, ES256 ID
		// tokens, HTTP Basic client authentication; no client_credentials.
		name: "consent-refresh-jwt-es256-basic",
		oidc: map[string]any{"redirect_uris": []string{cb}, "require_consent": true, "refresh_token_lifetime": 3600,
			"access_token_format": "jwt", "id_token_signed_response_alg": "ES256", "token_endpoint_auth_method": "client_secret_basic"},
		args: []string{"--auth", "basic", "--consent", "allow"},
		want: func(cid string) map[string]any {
			return map[string]any{"consented": true, "id_token_alg": "ES256", "access_token_jwt": true,
				"introspection": introspection(cid), "refresh": refreshed, "client_credentials": noCC}
		},
	}, {
		// A public client: no secret, PKCE required, refresh tokens; it may
		// revoke but not introspect.
		name: "public",
		oidc: map[string]any{"redirect_uris": []string{cb}, "token_endpoint_auth_method": "none", "refresh_token_lifetime": 600},
		want: func(cid string) map[string]any {
			return map[string]any{"consented": false, "id_token_alg": "RS256", "access_token_jwt": false,
				"introspection": nil, "refresh": refreshed, "client_credentials": noCC}
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cid, secret, _ := g.app(admin, map[string]any{"name": "openid-client " + c.name, "protocol": "oidc", "oidc": c.oidc})
			got := runFlow(t, node, append([]string{"--issuer", issuer, "--client-id", cid, "--redirect-uri", cb,
				"--username", user}, c.args...), map[string]string{"OIDC_CLIENT_SECRET": secret, "OIDC_PASSWORD": password})
			want := map[string]any{"issuer": issuer, "sub": uid, "email": email, "preferred_username": user, "name": name,
				"id_token_aud": cid, "token_type": "bearer", "scope": "openid profile email", "userinfo": userinfo,
				"userinfo_after_revocation": "invalid_token"}
			for k, v := range c.want(cid) {
				want[k] = v
			}
			if gotJSON, wantJSON := canonicalJSON(t, got), canonicalJSON(t, want); gotJSON != wantJSON {
				t.Errorf("openid-client saw\n%s\nwant\n%s", gotJSON, wantJSON)
			}
		})
	}
}

// runFlow runs e2e/js/flow.mjs and decodes the one JSON line it prints.
// Secrets go through the environment, not the command line.
func runFlow(t *testing.T, node string, args []string, env map[string]string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join("js", "flow.mjs")}, args...)...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openid-client flow failed: %v\nstderr: %s\nstdout: %s", err, stderr.Bytes(), stdout.Bytes())
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("openid-client flow printed no JSON object: %v\n%s\nstderr: %s", err, stdout.Bytes(), stderr.Bytes())
	}
	return out
}

// canonicalJSON is v as JSON with sorted keys, for exact comparison with
// a readable difference.
func canonicalJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m any
	json.Unmarshal(b, &m)
	b, _ = json.MarshalIndent(m, "", "  ")
	return string(b)
}
