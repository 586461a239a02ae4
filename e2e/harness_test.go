package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the gatehouse executable built once for the whole run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gatehouse")
	build := exec.Command("go", "build", "-o", binary, "../cmd/gatehouse")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building gatehouse:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	clientID     = "e2e-ops"
	clientSecret = "e2e-ops-secret-0123456789abcdef"
)

// gh is one running gatehouse process.
type gh struct {
	t      *testing.T
	url    string // http://127.0.0.1:PORT
	db     string
	dir    string
	cmd    *exec.Cmd
	done   chan struct{}
	mu     sync.Mutex
	stderr bytes.Buffer
	exit   error
}

// start runs `gatehouse serve` on a free port of the loopback with the
// bootstrap API client, and waits until /readyz answers.
func start(t *testing.T, db string, args ...string) *gh {
	t.Helper()
	dir := t.TempDir()
	g := &gh{t: t, db: db, dir: dir, done: make(chan struct{})}
	// A free port known in advance, so that the base URL (and the OIDC
	// issuer) names the address clients really use.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	all := append([]string{"serve", "--addr", addr, "--base-url", "http://" + addr, "--db", db, "--log-format", "json",
		"--log-flush-interval", "0", // tests read the log right after the requests
		"--argon2-memory", "8192", "--argon2-time", "1"}, args...)
	g.cmd = exec.Command(binary, all...)
	g.cmd.Dir = dir
	g.cmd.Env = append(os.Environ(),
		"GATEHOUSE_BOOTSTRAP_API_CLIENT_ID="+clientID,
		"GATEHOUSE_BOOTSTRAP_API_CLIENT_SECRET="+clientSecret,
		"GATEHOUSE_SECRET_KEY=e2e-secret-key-0123456789abcdef-0123456789")
	pipe, err := g.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			g.mu.Lock()
			g.stderr.Write(line)
			g.stderr.WriteByte('\n')
			g.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "gatehouse ready" {
				ready <- rec.Addr
			}
		}
	}()
	go func() { g.exit = g.cmd.Wait(); close(g.done) }()
	t.Cleanup(func() { g.stop() })
	select {
	case a := <-ready:
		g.url = "http://" + a
	case <-g.done:
		t.Fatalf("gatehouse exited before ready: %v\n%s", g.exit, g.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("gatehouse not ready after 30s\n%s", g.log())
	}
	if st, _ := g.get("/readyz", nil); st != 200 {
		t.Fatalf("/readyz = %d", st)
	}
	return g
}

func (g *gh) log() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stderr.String()
}

// stop sends SIGTERM and waits; it returns the exit error (nil for 0).
func (g *gh) stop() error {
	select {
	case <-g.done:
		return g.exit
	default:
	}
	g.cmd.Process.Signal(os.Interrupt)
	select {
	case <-g.done:
	case <-time.After(30 * time.Second):
		g.cmd.Process.Kill()
		<-g.done
	}
	return g.exit
}

// resp is an HTTP answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// call sends a request; body may be nil, a string (sent as is) or any
// value (sent as JSON). hdr adds headers; "Host" sets the Host.
func (g *gh) call(method, path string, body any, hdr map[string]string) resp {
	g.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, g.url+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json;charset=utf8")
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func (g *gh) get(path string, hdr map[string]string) (int, []byte) {
	r := g.call("GET", path, nil, hdr)
	return r.status, r.body
}

// token gets a management token for the client, on the tenant selected by
// hdr (nil: the default tenant).
func (g *gh) token(id, secret string, hdr map[string]string) string {
	g.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	req, _ := http.NewRequest("POST", g.url+"/api/v2/tenant/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if h, ok := hdr["Host"]; ok {
		req.Host = h
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || json.Unmarshal(b, &out) != nil || out.AccessToken == "" {
		g.t.Fatalf("token: %d %s", res.StatusCode, b)
	}
	return out.AccessToken
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// with returns hdr plus one more header.
func with(hdr map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range hdr {
		out[a] = b
	}
	return out
}

// backends lists the databases every e2e test runs on.
func backends(t *testing.T) []struct {
	name string
	dsn  func(t *testing.T) string
} {
	return []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "gh.db") }},
		{"postgres", func(t *testing.T) string { return postgresDSN(t) }},
	}
}

// wantError checks an error answer: status and exact body.
func wantError(t *testing.T, what string, r resp, status int, body string) {
	t.Helper()
	if r.status != status || strings.TrimSpace(string(r.body)) != body {
		t.Errorf("%s: got %d %s\nwant %d %s", what, r.status, bytes.TrimSpace(r.body), status, body)
	}
}
