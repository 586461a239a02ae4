package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// runOIDC measures the OIDC endpoints side by side with peers, in one run:
// client_credentials token rates (opaque, ES256 and RS256 JWT access
// tokens), introspection, JWKS and discovery with wrk; the same documents
// from a bare net/http server; this machine's RSA-2048 and ES256 signing
// rates; and authorization-code exchanges of codes minted through a real
// sign-in, on SQLite and PostgreSQL.
func runOIDC(args []string) error {
	fs := flag.NewFlagSet("ghbench oidc", flag.ContinueOnError)
	var c common
	c.bindServer(fs)
	var o oidcOpts
	fs.StringVar(&o.backends, "backends", "sqlite,postgres", "Gatehouse backends to run: sqlite, postgres or both (SQLite's file is new, in a temporary directory)")
	fs.StringVar(&o.pg, "pg", "postgres://postgres:postgres@127.0.0.1:5432/ghbench_oidc?sslmode=disable", "PostgreSQL database, dropped and created anew for the run (its name must contain \"bench\"); without TLS on loopback, as docs/operations.md advises for a database on the same host")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds: every wrk scenario runs once a round, and the tables give the median")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "wrk warm-up before each measured run (not counted)")
	fs.DurationVar(&o.duration, "duration", 8*time.Second, "measured wrk run per scenario and round")
	fs.IntVar(&o.threads, "threads", 2, "wrk -t")
	fs.IntVar(&o.conns, "connections", 32, "wrk -c")
	fs.StringVar(&o.wrk, "wrk", "wrk", "wrk binary (Debian: apt-get install wrk)")
	fs.DurationVar(&o.signDur, "sign-duration", 3*time.Second, "time per in-process signing-rate measurement")
	fs.IntVar(&o.codes, "codes", 50_000, "authorization codes minted and exchanged per backend for the ES256 application (0 skips)")
	fs.IntVar(&o.codesRS, "codes-rs256", 20_000, "the same for the RS256 application (RSA signing bounds it near the signing rate)")
	fs.IntVar(&o.codeConc, "code-clients", 32, "concurrent connections that mint and exchange codes")
	fs.StringVar(&o.zitadel, "zitadel-bin", "", "zitadel/oidc v3 example OP binary (go build github.com/zitadel/oidc/v3/example/server in a scratch module); empty: not measured")
	fs.StringVar(&o.oidcp, "oidc-provider-dir", "", "directory where npm oidc-provider is installed (npm install oidc-provider); empty: not measured")
	fs.IntVar(&o.oidcpWorkers, "oidc-provider-workers", 2, "node processes for oidc-provider (node:cluster, one per core)")
	fs.StringVar(&o.node, "node", "node", "node binary for oidc-provider")
	fs.StringVar(&o.dex, "dex-bin", "", "Dex binary, built separately; empty: not measured")
	fs.StringVar(&o.only, "only", "", "comma-separated substrings: run only the wrk scenarios whose key contains one (e.g. token,jwks)")
	fs.StringVar(&o.serverFlags, "server-flags", "", "more flags for \"gatehouse serve\", space-separated (for experiments, e.g. \"--db-max-conns 16\"); the figures in bench/README.md use none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if _, err := exec.LookPath(o.wrk); err != nil {
		return fmt.Errorf("wrk not found (apt-get install wrk, or pass --wrk): %w", err)
	}
	if o.rounds < 1 {
		return errors.New("--rounds must be at least 1")
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "ghbench-oidc-")
	if err != nil {
		return err
	}
	if c.keepLogs {
		fmt.Fprintf(os.Stderr, "logs, scripts and codes are kept in %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if c.logDir == "" {
		c.logDir = tmp
	}
	if _, err := c.binary(); err != nil {
		return err
	}
	b := &oidcBench{o: o, c: c, tmp: tmp, results: map[string][]wrkResult{},
		wrk: &wrkRunner{bin: o.wrk, threads: o.threads, conns: o.conns, dir: tmp}}
	defer b.stopAll()
	return b.run(ctx)
}

type oidcOpts struct {
	backends, pg              string
	rounds, threads, conns    int
	warmup, duration, signDur time.Duration
	wrk                       string
	codes, codesRS, codeConc  int
	zitadel, oidcp, node, dex string
	oidcpWorkers              int
	only, serverFlags         string
}

// oidcBench is one run of the oidc subcommand.
type oidcBench struct {
	o   oidcOpts
	c   common
	tmp string
	wrk *wrkRunner

	gh        []*ghInstance
	bare      *bareServer
	peers     []*peerProc
	peerNotes []string // why a peer was not measured
	scenarios []*wrkScenario
	results   map[string][]wrkResult
	signs     map[string][]float64
	signCPU   map[string][]float64 // CPU time per signature, ns
	codes     []codeRun
	loadStart string
}

// ghInstance is one Gatehouse server with its registered applications.
type ghInstance struct {
	label    string // SQLite, PostgreSQL
	key      string // gh-sqlite, gh-pg
	c        common
	p        *proc
	cc       map[string]*codeApp // client_credentials apps by format: opaque, ES256, RS256
	code     map[string]*codeApp // code-flow apps by ID-token alg
	cookie   string
	jwks     []byte
	document []byte
}

// codeRun is one mint-and-exchange of authorization codes.
type codeRun struct {
	backend, alg string
	minted       int
	mintTook     time.Duration
	ex           exchangeResult
	cpu          time.Duration // Gatehouse's CPU per exchange (the database's is not counted)
	err          error
}

const (
	benchUser     = "bench.signin"
	benchPassword = "Bench#Pass2024!"
	benchRedirect = "http://127.0.0.1:9/cb"
)

func (b *oidcBench) stopAll() {
	for _, g := range b.gh {
		if g.p != nil {
			g.p.stop()
		}
	}
	if b.bare != nil {
		b.bare.stop()
	}
	for _, p := range b.peers {
		p.stop()
	}
}

func (b *oidcBench) run(ctx context.Context) error {
	b.loadStart = loadAvg()
	for _, be := range strings.Split(b.o.backends, ",") {
		if err := b.startGatehouse(ctx, strings.TrimSpace(be)); err != nil {
			return err
		}
	}
	if len(b.gh) == 0 {
		return errors.New("--backends names no backend")
	}
	var err error
	if b.bare, err = startBare(ctx, b.tmp, b.gh[0].jwks, b.gh[0].document); err != nil {
		return err
	}
	bp := b.bare.cmd.Process.Pid
	b.scenarios = append(b.scenarios,
		&wrkScenario{key: "bare/jwks", target: "bare net/http", what: "JWKS bytes from memory", url: b.bare.base + "/jwks", want: `"keys"`, pid: bp,
			metrics: b.bare.base + "/metrics"},
		&wrkScenario{key: "bare/discovery", target: "bare net/http", what: "discovery bytes from memory", url: b.bare.base + "/discovery", want: `"issuer"`, pid: bp,
			metrics: b.bare.base + "/metrics"})
	b.startPeers(ctx)
	b.scenarios = b.selected()
	for _, sc := range b.scenarios {
		if _, err := probe(ctx, sc); err != nil {
			return err
		}
	}
	fmt.Println(machine(b.o.backends))
	fmt.Printf("wrk -t%d -c%d, %s warm-up + %s measured per scenario, %d round(s)\n\n", b.o.threads, b.o.conns, b.o.warmup, b.o.duration, b.o.rounds)
	b.signs, b.signCPU = map[string][]float64{}, map[string][]float64{}
	// Each round runs like requests of every server back to back, so that
	// a ratio compares runs minutes apart at most, and measures a signing
	// rate just before the token requests that sign with it.
	order := slices.Clone(b.scenarios)
	slices.SortStableFunc(order, func(x, y *wrkScenario) int { return kindRank(x.key) - kindRank(y.key) })
	for round := 1; round <= b.o.rounds; round++ {
		lastRank := -1
		for _, sc := range order {
			if rank := kindRank(sc.key); rank != lastRank {
				lastRank = rank
				if alg := map[int]string{1: "ES256", 2: "RS256"}[rank]; alg != "" {
					r, cpu, err := signRate(alg, b.o.signDur)
					if err != nil {
						return err
					}
					b.signs[alg] = append(b.signs[alg], r)
					b.signCPU[alg] = append(b.signCPU[alg], float64(cpu))
				}
			}
			if b.o.warmup > 0 {
				if _, err := b.wrk.run(ctx, sc, b.o.warmup); err != nil {
					return err
				}
			}
			r, err := b.wrk.run(ctx, sc, b.o.duration)
			if err != nil {
				return err
			}
			b.results[sc.key] = append(b.results[sc.key], r)
			fmt.Fprintf(os.Stderr, "round %d  %-28s %9.0f req/s  p99 %s ms  errors %d  (load %s)\n", round, sc.key, r.rps, msec(r.p99),
				r.non2xx+r.sockErrs, loadAvg())
		}
	}
	for _, g := range b.gh {
		for _, alg := range []string{"ES256", "RS256"} {
			n := b.o.codes
			if alg == "RS256" {
				n = b.o.codesRS
			}
			if n <= 0 {
				continue
			}
			cr := b.codeRun(ctx, g, alg, n)
			if cr.err != nil {
				fmt.Fprintf(os.Stderr, "code exchange %s %s: %v\n", g.label, alg, cr.err)
			}
			b.codes = append(b.codes, cr)
		}
	}
	b.report(os.Stdout)
	return nil
}

// kindRank groups scenarios by the request they send: opaque tokens,
// ES256 tokens, RS256 tokens, introspection, JWKS, discovery.
func kindRank(key string) int {
	switch k := strings.ToLower(key); {
	case strings.Contains(k, "/jwks"):
		return 4
	case strings.Contains(k, "/discovery"):
		return 5
	case strings.Contains(k, "introspect"):
		return 3
	case strings.Contains(k, "rs256"):
		return 2
	case strings.Contains(k, "es256"):
		return 1
	}
	return 0
}

// selected keeps the scenarios --only asks for.
func (b *oidcBench) selected() []*wrkScenario {
	if b.o.only == "" {
		return b.scenarios
	}
	var out []*wrkScenario
	for _, sc := range b.scenarios {
		for _, s := range strings.Split(b.o.only, ",") {
			if s != "" && strings.Contains(sc.key, s) {
				out = append(out, sc)
				break
			}
		}
	}
	return out
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// startGatehouse starts Gatehouse on a new database of the backend,
// registers the benchmark's applications and user, and signs in once.
func (b *oidcBench) startGatehouse(ctx context.Context, backend string) error {
	g, err := b.newGatehouse(ctx, backend)
	if g != nil && g.p != nil {
		b.gh = append(b.gh, g) // stopAll stops it, whatever happened after it started
	}
	return err
}

func (b *oidcBench) newGatehouse(ctx context.Context, backend string) (*ghInstance, error) {
	g := &ghInstance{c: b.c, cc: map[string]*codeApp{}, code: map[string]*codeApp{}}
	switch backend {
	case "sqlite":
		g.label, g.key = "SQLite", "gh-sqlite"
		g.c.db = "sqlite:" + filepath.Join(b.tmp, "oidc.db")
	case "postgres", "pg":
		g.label, g.key = "PostgreSQL", "gh-pg"
		g.c.db = b.o.pg
		if err := resetPostgres(ctx, b.o.pg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown backend %q (want sqlite or postgres)", backend)
	}
	// Codes must outlive the minting of tens of thousands of them.
	p, _, err := g.c.start(ctx, startOptions{args: append([]string{"--oauth-code-lifetime", "10m"}, strings.Fields(b.o.serverFlags)...)})
	if err != nil {
		return nil, err
	}
	g.p = p
	tok, err := p.token(ctx)
	if err != nil {
		return g, err
	}
	mgmt := func(path string, body any, out any) error {
		js, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, "POST", p.base+path, bytes.NewReader(js))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		return doJSON(req, http.StatusCreated, out)
	}
	register := func(name, protocol string, oidc map[string]any) (*codeApp, error) {
		var out struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := mgmt("/api/v2/tenant/applications", map[string]any{"name": name, "protocol": protocol, "oidc": oidc}, &out); err != nil {
			return nil, fmt.Errorf("register %s: %w", name, err)
		}
		alg, _ := oidc["id_token_signed_response_alg"].(string)
		return &codeApp{clientID: out.ClientID, secret: out.ClientSecret, redirect: benchRedirect, alg: alg}, nil
	}
	for _, f := range []struct{ name, format, alg string }{
		{"opaque", "opaque", "RS256"}, {"ES256", "jwt", "ES256"}, {"RS256", "jwt", "RS256"},
	} {
		a, err := register("bench cc "+f.name, "oauth2", map[string]any{"grant_types": []string{"client_credentials"},
			"access_token_format": f.format, "id_token_signed_response_alg": f.alg})
		if err != nil {
			return g, err
		}
		g.cc[f.name] = a
	}
	for _, alg := range []string{"ES256", "RS256"} {
		a, err := register("bench code "+alg, "oidc", map[string]any{"grant_types": []string{"authorization_code"},
			"redirect_uris": []string{benchRedirect}, "id_token_signed_response_alg": alg})
		if err != nil {
			return g, err
		}
		g.code[alg] = a
	}
	user := map[string]any{"user_name": benchUser, "mobile": "+86-13800000000", "email": "bench.signin@example.com",
		"name": "Bench Sign-in", "password": benchPassword, "pwd_must_modify": false}
	if err := mgmt("/api/v2/tenant/users", user, nil); err != nil {
		return g, fmt.Errorf("create the sign-in user: %w", err)
	}
	if g.cookie, err = signIn(ctx, p.base, g.code["ES256"], benchUser, benchPassword); err != nil {
		return g, err
	}
	if err := b.addGatehouseScenarios(ctx, g); err != nil {
		return g, err
	}
	// The documents, with the ES256 key already in the JWKS, for the bare
	// server to serve byte for byte.
	for _, sc := range b.scenarios {
		switch sc.key {
		case g.key + "/jwks", g.key + "/discovery":
			body, err := probe(ctx, sc)
			if err != nil {
				return g, err
			}
			if strings.HasSuffix(sc.key, "/jwks") {
				g.jwks = []byte(body)
			} else {
				g.document = []byte(body)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "gatehouse (%s) ready at %s\n", g.label, p.base)
	return g, nil
}

// ccBody is a client_credentials request of app a.
func ccBody(a *codeApp) string {
	return formBody("grant_type", "client_credentials", "client_id", url.QueryEscape(a.clientID), "client_secret", url.QueryEscape(a.secret))
}

func (b *oidcBench) addGatehouseScenarios(ctx context.Context, g *ghInstance) error {
	t := "Gatehouse (" + g.label + ")"
	base := g.p.base + "/api/v1/oauth2"
	metrics := g.p.base + "/metrics"
	tokens := []*wrkScenario{
		{key: g.key + "/token-opaque", what: "client_credentials, opaque token", body: ccBody(g.cc["opaque"]), want: `"access_token"`},
		{key: g.key + "/token-es256", what: "client_credentials, ES256 JWT", body: ccBody(g.cc["ES256"]), want: jwtTokenPrefix("ES256")},
		{key: g.key + "/token-rs256", what: "client_credentials, RS256 JWT", body: ccBody(g.cc["RS256"]), want: jwtTokenPrefix("RS256")},
	}
	issued := map[string]string{}
	for _, sc := range tokens {
		sc.target, sc.url, sc.method, sc.headers, sc.metrics = t, base+"/token", "POST", formHeaders, metrics
		body, err := probe(ctx, sc)
		if err != nil {
			return err
		}
		var out struct {
			AccessToken string `json:"access_token"`
		}
		json.Unmarshal([]byte(body), &out)
		issued[sc.key] = out.AccessToken
	}
	// A resource server introspects its callers' tokens with its own client.
	rs := g.cc["opaque"]
	intro := func(tok string) string {
		return formBody("client_id", url.QueryEscape(rs.clientID), "client_secret", url.QueryEscape(rs.secret), "token", url.QueryEscape(tok))
	}
	b.scenarios = append(b.scenarios, tokens...)
	n := len(b.scenarios)
	defer func() {
		for _, sc := range b.scenarios[n-len(tokens):] {
			sc.pid = g.p.pid()
		}
	}()
	b.scenarios = append(b.scenarios,
		&wrkScenario{key: g.key + "/introspect-opaque", target: t, what: "introspection of an opaque token", url: base + "/introspect",
			method: "POST", headers: formHeaders, body: intro(issued[g.key+"/token-opaque"]), want: `"active":true`, metrics: metrics},
		&wrkScenario{key: g.key + "/introspect-es256", target: t, what: "introspection of an ES256 JWT", url: base + "/introspect",
			method: "POST", headers: formHeaders, body: intro(issued[g.key+"/token-es256"]), want: `"active":true`, metrics: metrics},
		&wrkScenario{key: g.key + "/jwks", target: t, what: "JWKS", url: base + "/keys", want: `"keys"`, metrics: metrics},
		&wrkScenario{key: g.key + "/discovery", target: t, what: "discovery", url: base + "/.well-known/openid-configuration", want: `"issuer"`, metrics: metrics},
	)
	return nil
}

// startPeers starts each peer the flags name; one that fails is reported
// and left out, and the others are measured.
func (b *oidcBench) startPeers(ctx context.Context) {
	add := func(name string, p *peerProc, scs []*wrkScenario, err error) {
		if err != nil {
			note := fmt.Sprintf("%s: not measured: %v", name, err)
			fmt.Fprintln(os.Stderr, note)
			b.peerNotes = append(b.peerNotes, note)
			return
		}
		for _, sc := range scs {
			sc.pid, sc.group = p.cmd.Process.Pid, true
		}
		b.peers = append(b.peers, p)
		b.scenarios = append(b.scenarios, scs...)
	}
	if b.o.zitadel != "" {
		p, scs, err := startZitadel(ctx, b.o.zitadel, b.tmp)
		add("zitadel/oidc example OP", p, scs, err)
	} else {
		b.peerNotes = append(b.peerNotes, "zitadel/oidc example OP: not measured (no --zitadel-bin)")
	}
	if b.o.oidcp != "" {
		p, scs, err := startOIDCProvider(ctx, b.o.node, b.o.oidcp, b.o.oidcpWorkers, b.tmp)
		add("oidc-provider", p, scs, err)
	} else {
		b.peerNotes = append(b.peerNotes, "oidc-provider: not measured (no --oidc-provider-dir)")
	}
	if b.o.dex != "" {
		for _, alg := range []string{"ES256", "RS256"} {
			p, scs, err := startDex(ctx, b.o.dex, alg, b.tmp)
			add("Dex "+alg, p, scs, err)
		}
	} else {
		b.peerNotes = append(b.peerNotes, "Dex: not measured (no --dex-bin)")
	}
}

// codeRun mints n codes for g's alg application through its signed-in
// session, writes them to a file, reads them back and exchanges each once.
func (b *oidcBench) codeRun(ctx context.Context, g *ghInstance, alg string, n int) codeRun {
	cr := codeRun{backend: g.label, alg: alg}
	app := g.code[alg]
	path := filepath.Join(b.tmp, fmt.Sprintf("codes-%s-%s.txt", g.key, alg))
	fmt.Fprintf(os.Stderr, "minting %d codes (%s, %s)...\n", n, g.label, alg)
	_, cr.mintTook, cr.err = mintCodes(ctx, g.p.base, g.cookie, app, n, b.o.codeConc, path)
	if cr.err != nil {
		return cr
	}
	codes, err := readCodes(path)
	if err != nil {
		cr.err = err
		return cr
	}
	cr.minted = len(codes)
	// One exchange, checked in full, before the timed ones.
	if cr.err = checkExchange(ctx, g.p.base, app, codes[0]); cr.err != nil {
		return cr
	}
	fmt.Fprintf(os.Stderr, "exchanging %d codes (%s, %s)...\n", len(codes)-1, g.label, alg)
	before, err := procCPU(g.p.pid(), false)
	cr.ex = exchangeCodes(ctx, g.p.base, app, codes[1:], b.o.codeConc)
	if after, err2 := procCPU(g.p.pid(), false); err == nil && err2 == nil && cr.ex.n > 0 {
		cr.cpu = (after - before) / time.Duration(cr.ex.n)
	}
	return cr
}

// checkExchange redeems one code and checks the ID token's algorithm, and
// that a second redemption of the same code fails.
func checkExchange(ctx context.Context, base string, app *codeApp, code string) error {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {app.redirect},
		"client_id": {app.clientID}, "client_secret": {app.secret}, "code_verifier": {pkceVerifier}}
	post := func() (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/oauth2/token", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := httpClient.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}
	resp, body, err := post()
	if err != nil {
		return err
	}
	var out struct {
		IDToken string `json:"id_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.IDToken == "" {
		return fmt.Errorf("code exchange: HTTP %d: %.300s", resp.StatusCode, body)
	}
	var hdr struct{ Alg string }
	h, _, _ := strings.Cut(out.IDToken, ".")
	if raw, err := jwtPart(h); err != nil || json.Unmarshal(raw, &hdr) != nil || hdr.Alg != app.alg {
		return fmt.Errorf("code exchange: ID token header alg %q, want %s", hdr.Alg, app.alg)
	}
	if resp, body, err = post(); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusBadRequest {
		return fmt.Errorf("second exchange of one code: HTTP %d, want 400: %.200s", resp.StatusCode, body)
	}
	return nil
}

// resetPostgres drops and creates the benchmark's database, so that every
// run starts empty.
func resetPostgres(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	if !strings.Contains(name, "bench") || strings.ContainsAny(name, `"/`) {
		return fmt.Errorf("--pg database %q: the run drops it, so its name must contain \"bench\"", name)
	}
	u.Path = "/postgres"
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// median of the rounds' results, by req/s.
func medianResult(rs []wrkResult) wrkResult {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b wrkResult) int {
		switch {
		case a.rps < b.rps:
			return -1
		case a.rps > b.rps:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

func medianFloat(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
