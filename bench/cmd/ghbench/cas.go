package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// runCAS measures CAS service-ticket issue + validate pairs per second
// against the gatehouse binary, on SQLite and PostgreSQL.
//
// Usage: go run ./bench/cmd/ghbench cas [--backends sqlite,postgres] [--clients 16] [--rounds 3] [--duration 10s]
//
// A pair is what a CAS application and its user's browser cause when the
// user, already signed in at Gatehouse, opens the application:
// GET /api/v1/cas/login?service=… with the session cookie (302 to the
// service with a new ST-…), then the application's
// GET /api/v1/cas/p3/serviceValidate?service=…&ticket=… (200, a CAS 3.0
// success with attributes). Each client signs in once through the real
// sign-in form with its own user, then makes pairs back to back over one
// keep-alive connection.
func runCAS(args []string) error {
	fs := flag.NewFlagSet("ghbench cas", flag.ContinueOnError)
	var c common
	c.bindServer(fs)
	var o casOpts
	fs.StringVar(&o.backends, "backends", "sqlite,postgres", "Gatehouse backends to run: sqlite, postgres or both (SQLite's file is new, in a temporary directory)")
	fs.StringVar(&o.pg, "pg", "postgres://postgres:postgres@127.0.0.1:5432/ghbench_cas?sslmode=disable", "PostgreSQL database, dropped and created anew for the run (its name must contain \"bench\"); without TLS on loopback, as docs/operations.md advises for a database on the same host")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients, each with its own user, session and keep-alive connection")
	fs.IntVar(&o.rounds, "rounds", 3, "measured runs per backend; the table gives the median by pairs/s")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before each measured run (not counted)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per run")
	fs.StringVar(&o.serverFlags, "server-flags", "", "more flags for \"gatehouse serve\", space-separated (for experiments); the figures in bench/README.md use none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.clients < 1 || o.rounds < 1 {
		return errors.New("--clients and --rounds must be at least 1")
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "ghbench-cas-")
	if err != nil {
		return err
	}
	if c.keepLogs {
		fmt.Fprintf(os.Stderr, "logs are kept in %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if c.logDir == "" {
		c.logDir = tmp
	}
	if _, err := c.binary(); err != nil {
		return err
	}
	fmt.Println(machine(o.backends))
	fmt.Printf("%d clients, %s warm-up + %s measured per run, %d run(s) per backend\n", o.clients, o.warmup, o.duration, o.rounds)
	var results []casResult
	for _, be := range strings.Split(o.backends, ",") {
		r, err := casBackend(ctx, c, o, strings.TrimSpace(be), tmp)
		if err != nil {
			return err
		}
		results = append(results, r...)
	}
	printCASTable(os.Stdout, results)
	return nil
}

type casOpts struct {
	backends, pg     string
	clients, rounds  int
	warmup, duration time.Duration
	serverFlags      string
}

// casBackend starts Gatehouse on a new database of one backend, prepares
// it and runs the rounds.
func casBackend(ctx context.Context, c common, o casOpts, backend, tmp string) ([]casResult, error) {
	label := "SQLite"
	switch backend {
	case "sqlite":
		c.db = "sqlite:" + filepath.Join(tmp, "cas.db")
	case "postgres", "pg":
		label = "PostgreSQL"
		c.db = o.pg
		if err := resetPostgres(ctx, o.pg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown backend %q (want sqlite or postgres)", backend)
	}
	p, _, err := c.start(ctx, startOptions{args: strings.Fields(o.serverFlags)})
	if err != nil {
		return nil, err
	}
	defer p.stop()
	tok, err := p.token(ctx)
	if err != nil {
		return nil, err
	}
	tgt, err := setupCAS(ctx, p.base, tok, o.clients)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	fmt.Fprintf(os.Stderr, "gatehouse (%s) ready at %s%s; %d clients signed in\n", label, p.base, p.logNote(), o.clients)
	var out []casResult
	for round := 1; round <= o.rounds; round++ {
		r := runCASPairs(ctx, tgt, loadSpec{name: label, conc: o.clients, warmup: o.warmup, dur: o.duration}, p.pid())
		fmt.Fprintf(os.Stderr, "round %d  %-10s %7.0f pairs/s  p50 %s ms  p99 %s ms  errors %d  (load %s)\n",
			round, label, r.s.rps(), msec(r.s.pct(50)), msec(r.s.pct(99)), r.s.errs, r.load)
		if r.s.firstErr != "" {
			fmt.Fprintf(os.Stderr, "  first error: %s\n", r.s.firstErr)
		}
		out = append(out, r)
	}
	return out, nil
}

// casTarget is a server prepared for pairs: the registered service and one
// signed-in session per client.
type casTarget struct {
	base    string
	service string
	users   []string // the user name of client i, what <cas:user> must say
	cookies []string // client i's session cookie, "gh_session=…"
}

const (
	casBenchService  = "https://bench-cas.example.com/app/"
	casBenchPassword = "Bench#Cas2024!pw"
)

// setupCAS registers the benchmark's cas application (two attributes
// mapped for CAS 3.0) and one user per client, then signs every client
// in through the sign-in form.
func setupCAS(ctx context.Context, base, token string, clients int) (*casTarget, error) {
	post := func(path string, body any) error {
		js, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(js))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		return doJSON(req, http.StatusCreated, nil)
	}
	if err := post("/api/v2/tenant/applications", map[string]any{"name": "bench cas", "protocol": "cas",
		"cas": map[string]any{"service_patterns": []string{strings.TrimSuffix(casBenchService, "app/") + "*"}},
		"claim_mappings": []map[string]any{{"claim": "mail", "source": "user.email", "in": []string{"cas"}},
			{"claim": "displayName", "source": "user.name", "in": []string{"cas"}}}}); err != nil {
		return nil, fmt.Errorf("register the cas application: %w", err)
	}
	t := &casTarget{base: base, service: casBenchService}
	for i := range clients {
		name := fmt.Sprintf("bench.cas.%03d", i)
		if err := post("/api/v2/tenant/users", map[string]any{"user_name": name, "name": "CAS Bench " + strconv.Itoa(i),
			"email": name + "@example.com", "mobile": fmt.Sprintf("+86-139%08d", i), "password": casBenchPassword,
			"pwd_must_modify": false}); err != nil {
			return nil, fmt.Errorf("create user %s: %w", name, err)
		}
		t.users = append(t.users, name)
	}
	t.cookies = make([]string, clients)
	for i, name := range t.users {
		cookie, ticket, err := casSignIn(ctx, base, t.service, name, casBenchPassword)
		if err != nil {
			return nil, fmt.Errorf("sign in %s: %w", name, err)
		}
		// The first ticket, validated in full, before any timed pair.
		if err := checkCASValidation(ctx, base, t.service, ticket, name); err != nil {
			return nil, err
		}
		t.cookies[i] = cookie
	}
	return t, nil
}

// casSignIn signs a user in as a browser does: the CAS login sends it to
// the sign-in page, whose form is posted with the password; the answer
// resumes the CAS login, which redirects to the service with a ticket.
// It returns the session cookie and that ticket.
func casSignIn(ctx context.Context, base, service, user, password string) (cookie, ticket string, err error) {
	jar, _ := cookiejar.New(nil)
	br := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(req *http.Request) (*http.Response, string, error) {
		resp, err := br.Do(req)
		if err != nil {
			return nil, "", err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b), nil
	}
	get := func(u string) (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return nil, "", err
		}
		return send(req)
	}
	resp, _, err := get(base + "/api/v1/cas/login?service=" + url.QueryEscape(service))
	if err != nil {
		return "", "", err
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "/api/v1/login?") {
		return "", "", fmt.Errorf("/api/v1/cas/login answered %d (Location %q), want 302 to the sign-in page", resp.StatusCode, loc)
	}
	resp, page, err := get(base + loc)
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("sign-in page: HTTP %d", resp.StatusCode)
	}
	form := url.Values{"username": {user}, "password": {password}}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/login/form", strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	if resp, _, err = send(req); err != nil {
		return "", "", err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return "", "", fmt.Errorf("sign-in form: HTTP %d, want 303", resp.StatusCode)
	}
	if resp, _, err = get(base + resp.Header.Get("Location")); err != nil {
		return "", "", err
	}
	loc = resp.Header.Get("Location")
	if ticket = casTicketOf(loc, service); resp.StatusCode != http.StatusFound || ticket == "" {
		return "", "", fmt.Errorf("resume after sign-in: HTTP %d, Location %q; want the service with a ticket", resp.StatusCode, loc)
	}
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == "gh_session" {
			return c.Name + "=" + c.Value, ticket, nil
		}
	}
	return "", "", errors.New("sign-in set no gh_session cookie")
}

// casTicketOf returns the ST-… ticket of a redirect to service, or "".
func casTicketOf(location, service string) string {
	rest, ok := strings.CutPrefix(location, service)
	if !ok || len(rest) < 2 || (rest[0] != '?' && rest[0] != '&') {
		return ""
	}
	q, err := url.ParseQuery(rest[1:])
	if err != nil || !strings.HasPrefix(q.Get("ticket"), "ST-") {
		return ""
	}
	return q.Get("ticket")
}

// checkCASValidation validates one ticket at /p3/serviceValidate and
// checks the whole answer: the user, the mapped attributes, and that a
// second validation of the same ticket fails.
func checkCASValidation(ctx context.Context, base, service, ticket, user string) error {
	path := casValidatePath(service, ticket)
	get := func() (string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		if err != nil {
			return "", err
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
		}
		return string(b), err
	}
	body, err := get()
	if err != nil {
		return fmt.Errorf("serviceValidate: %w", err)
	}
	for _, want := range []string{"<cas:user>" + user + "</cas:user>", "<cas:mail>" + user + "@example.com</cas:mail>",
		"<cas:displayName>CAS Bench ", "<cas:isFromNewLogin>true</cas:isFromNewLogin>"} {
		if !strings.Contains(body, want) {
			return fmt.Errorf("serviceValidate of a new ticket lacks %s:\n%s", want, body)
		}
	}
	if body, err = get(); err != nil || !strings.Contains(body, `code="INVALID_TICKET"`) {
		return fmt.Errorf("a second validation of one ticket: %v\n%s", err, body)
	}
	return nil
}

func casLoginPath(service string) string {
	return "/api/v1/cas/login?service=" + url.QueryEscape(service)
}

func casValidatePath(service, ticket string) string {
	return "/api/v1/cas/p3/serviceValidate?service=" + url.QueryEscape(service) + "&ticket=" + url.QueryEscape(ticket)
}

// casPairs makes pairs for the workers of runLoad: worker w uses client
// w's session and its own connection, and keeps the time of each half.
type casPairs struct {
	t                   *casTarget
	conns               []*rawConn
	loginPath, validate string // validate is the path without the ticket's value
	wantUser            [][]byte
	login, check        []time.Duration // per worker: time spent in each half
}

func newCASPairs(t *casTarget) (*casPairs, error) {
	p := &casPairs{t: t, loginPath: casLoginPath(t.service), validate: casValidatePath(t.service, ""),
		login: make([]time.Duration, len(t.cookies)), check: make([]time.Duration, len(t.cookies))}
	for _, u := range t.users {
		rc, err := newRawConn(t.base)
		if err != nil {
			return nil, err
		}
		p.conns = append(p.conns, rc)
		p.wantUser = append(p.wantUser, []byte("<cas:user>"+u+"</cas:user>"))
	}
	return p, nil
}

func (p *casPairs) close() {
	for _, rc := range p.conns {
		rc.close()
	}
}

// pair issues one ticket and validates it.
func (p *casPairs) pair(_ context.Context, w, _ int) error {
	rc := p.conns[w]
	t0 := time.Now()
	resp, err := rc.do("GET", p.loginPath, p.t.cookies[w], nil)
	if err != nil {
		return err
	}
	ticket := casTicketOf(resp.location, p.t.service)
	if resp.status != http.StatusFound || ticket == "" {
		return fmt.Errorf("login: HTTP %d, Location %q: %.200s", resp.status, resp.location, resp.body)
	}
	t1 := time.Now()
	resp, err = rc.do("GET", p.validate+ticket, "", nil)
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK || !bytes.Contains(resp.body, p.wantUser[w]) {
		return fmt.Errorf("serviceValidate: HTTP %d: %.300s", resp.status, resp.body)
	}
	t2 := time.Now()
	p.login[w] += t1.Sub(t0)
	p.check[w] += t2.Sub(t1)
	return nil
}

// casResult is one measured run of pairs.
type casResult struct {
	s                  stats
	login, check       time.Duration // mean time of each half of a pair, as the client saw it
	serverCPU, selfCPU time.Duration // CPU per pair: Gatehouse's, and this process's (the clients)
	busy               float64       // share of all the machine's CPU time that was busy during the run
	load               string        // load average after the run
}

// runCASPairs runs one closed-loop measurement. pid is Gatehouse's
// process, for its CPU time (0: not measured).
func runCASPairs(ctx context.Context, t *casTarget, sp loadSpec, pid int) casResult {
	var r casResult
	p, err := newCASPairs(t)
	if err != nil {
		r.s = stats{name: sp.name, conc: sp.conc, errs: 1, firstErr: err.Error()}
		return r
	}
	defer p.close()
	if sp.conc > len(t.cookies) {
		sp.conc = len(t.cookies)
	}
	// The counters start after the warm-up, so the warm-up runs alone
	// first; runLoad then measures from its start.
	if sp.warmup > 0 {
		runLoad(ctx, loadSpec{name: sp.name, conc: sp.conc, dur: sp.warmup}, p.pair)
	}
	clear(p.login)
	clear(p.check)
	cpu0, errS := procCPU(pid, false)
	self0, errC := procCPU(os.Getpid(), false)
	busy0, total0, errB := machineCPU()
	r.s = runLoad(ctx, loadSpec{name: sp.name, conc: sp.conc, dur: sp.dur, maxReqs: sp.maxReqs}, p.pair)
	cpu1, errS2 := procCPU(pid, false)
	self1, errC2 := procCPU(os.Getpid(), false)
	busy1, total1, errB2 := machineCPU()
	r.load = loadAvg()
	n := time.Duration(max(r.s.n, 1))
	if errS == nil && errS2 == nil {
		r.serverCPU = (cpu1 - cpu0) / n
	}
	if errC == nil && errC2 == nil {
		r.selfCPU = (self1 - self0) / n
	}
	if errB == nil && errB2 == nil && total1 > total0 {
		r.busy = float64(busy1-busy0) / float64(total1-total0)
	}
	var login, check time.Duration
	for w := range p.login {
		login += p.login[w]
		check += p.check[w]
	}
	r.login, r.check = login/n, check/n
	return r
}

// machineCPU reads the busy and total jiffies of all CPUs (/proc/stat).
func machineCPU() (busy, total int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, errors.New("unexpected /proc/stat")
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if i >= 8 { // guest time is already counted in user time
			break
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total, nil
}

// printCASTable writes the median run of each backend as Markdown.
func printCASTable(w io.Writer, results []casResult) {
	byBackend := map[string][]casResult{}
	var order []string
	for _, r := range results {
		if _, ok := byBackend[r.s.name]; !ok {
			order = append(order, r.s.name)
		}
		byBackend[r.s.name] = append(byBackend[r.s.name], r)
	}
	fmt.Fprintf(w, "\n| backend | clients | pairs/s (median) | runs (pairs/s) | pair p50 ms | pair p99 ms | login / validate ms (mean) | Gatehouse CPU µs/pair | client CPU µs/pair | machine busy | errors |\n")
	fmt.Fprintf(w, "|---|---:|---:|---|---:|---:|---|---:|---:|---:|---:|\n")
	for _, name := range order {
		rs := byBackend[name]
		runs := make([]string, len(rs))
		for i, r := range rs {
			runs[i] = fmt.Sprintf("%.0f", r.s.rps())
		}
		m := slices.Clone(rs)
		slices.SortFunc(m, func(a, b casResult) int {
			switch {
			case a.s.rps() < b.s.rps():
				return -1
			case a.s.rps() > b.s.rps():
				return 1
			}
			return 0
		})
		r := m[len(m)/2]
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s | %s / %s | %s | %s | %.0f%% | %d |\n", name, r.s.conc, r.s.rps(), strings.Join(runs, ", "),
			msec(r.s.pct(50)), msec(r.s.pct(99)), msec(r.login), msec(r.check), fmtCPU(r.serverCPU), fmtCPU(r.selfCPU), 100*r.busy, r.s.errs)
	}
}
