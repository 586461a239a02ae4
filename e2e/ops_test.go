package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// TestOperations covers the run contract: health, readiness, metrics,
// security headers, and a graceful SIGTERM that lets an in-flight request
// finish and exits 0.
func TestOperations(t *testing.T) {
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db")
	if st, body := g.get("/healthz", nil); st != 200 || !strings.Contains(string(body), "ok") {
		t.Errorf("/healthz = %d %s", st, body)
	}
	if st, body := g.get("/readyz", nil); st != 200 || !strings.Contains(string(body), "ready") {
		t.Errorf("/readyz = %d %s", st, body)
	}
	r := g.call("GET", "/api/v2/tenant/users", nil, nil)
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer", "Content-Security-Policy": "default-src 'none'"} {
		if !strings.Contains(r.header.Get(h), want) {
			t.Errorf("%s = %q, want %q", h, r.header.Get(h), want)
		}
	}
	if len(r.header.Get("X-Request-Id")) < 16 {
		t.Errorf("no request id")
	}
	_, metrics := g.get("/metrics", nil)
	for _, want := range []string{
		`gatehouse_http_requests_total{code="401",method="GET",route="GET /api/v2/tenant/users"} 1`,
		`gatehouse_http_request_duration_seconds_bucket{method="GET",route="GET /healthz"`,
		`go_sql_open_connections{db_name="sqlite_read"}`,
		"go_gc_gogc_percent 400", // serve's default when GOGC is unset (docs/operations.md)
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// A body over the limit is refused, not read.
	big := `{"user_name":"` + strings.Repeat("x", 2<<20) + `"}`
	tok := g.token(clientID, clientSecret, nil)
	wantError(t, "oversized body", g.call("POST", "/api/v2/tenant/users", big, bearer(tok)), 413,
		`{"error_code":"COMMON.0004","error_msg":"The request body is too large."}`)
	if st, _ := g.get("/no/such/path", nil); st != 404 {
		t.Errorf("unknown path = %d", st)
	}

	// Graceful shutdown: a request in flight when SIGTERM arrives completes.
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "grant_type=client_credentials&client_id=" + clientID + "&client_secret=" + clientSecret
	fmt.Fprintf(conn, "POST /api/v2/tenant/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	time.Sleep(100 * time.Millisecond) // let the server start reading the request
	g.cmd.Process.Signal(os.Interrupt)
	time.Sleep(200 * time.Millisecond)
	fmt.Fprint(conn, body[10:])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("in-flight request during shutdown: %v %v", res, err)
	}
	res.Body.Close()
	select {
	case <-g.done:
		if g.exit != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", g.exit, g.log())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not exit after SIGTERM")
	}
	if !strings.Contains(g.log(), "gatehouse stopped") {
		t.Errorf("no stop line in the log")
	}
}

// TestConfigErrors: a bad flag or environment value exits non-zero with one
// clear line naming it; --help explains every flag with its env twin.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"serve", "--addr", "nonsense"}, "", "--addr"},
		{[]string{"serve", "--no-such-flag"}, "", "no-such-flag"},
		{[]string{"serve"}, "GATEHOUSE_DB=mysql://x", "--db"},
		{[]string{"serve"}, "GATEHOUSE_READ_TIMEOUT=soon", "GATEHOUSE_READ_TIMEOUT"},
		{[]string{"serve"}, "GATEHOUSE_BASE_URL=ftp://x", "--base-url"},
		{[]string{"serve", "--secret-key", "short"}, "", "--secret-key"},
		{[]string{"frobnicate"}, "", "unknown command"},
	}
	for _, c := range cases {
		cmd := exec.Command(binary, c.args...)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), c.env)
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() == 0 {
			t.Errorf("%v %s: exit %v, want non-zero", c.args, c.env, err)
			continue
		}
		if lines := strings.Count(strings.TrimSpace(string(out)), "\n") + 1; lines != 1 || !strings.Contains(string(out), c.want) {
			t.Errorf("%v %s: printed %q; want one line naming %s", c.args, c.env, out, c.want)
		}
	}
	out, err := exec.Command(binary, "serve", "--help").Output()
	if err != nil {
		t.Fatalf("serve --help: %v", err)
	}
	for _, want := range []string{"--addr", "GATEHOUSE_ADDR", "--db", "GATEHOUSE_DB", "--base-url", "GATEHOUSE_BASE_URL", "--secret-key", "GATEHOUSE_SECRET_KEY"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("serve --help lacks %s", want)
		}
	}
	if out, err := exec.Command(binary, "version").Output(); err != nil || !strings.HasPrefix(string(out), "gatehouse ") {
		t.Errorf("version: %q %v", out, err)
	}
}

// TestZeroConfigStart: `gatehouse serve` with no flags listens on :8080
// with sqlite:gatehouse.db and a generated key in the working directory.
// Skipped when port 8080 is taken on this machine.
func TestZeroConfigStart(t *testing.T) {
	if ln, err := net.Listen("tcp", ":8080"); err != nil {
		t.Skip("port 8080 is in use here")
	} else {
		ln.Close()
	}
	dir := t.TempDir()
	cmd := exec.Command(binary, "serve")
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	var ok bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get("http://127.0.0.1:8080/readyz"); err == nil {
			res.Body.Close()
			ok = res.StatusCode == 200
			break
		}
	}
	if !ok {
		t.Fatal("not ready on :8080")
	}
	for _, f := range []string{"gatehouse.db", "gatehouse.key"} {
		if _, err := os.Stat(dir + "/" + f); err != nil {
			t.Errorf("%s not created in the working directory: %v", f, err)
		}
	}
	if st, err := os.Stat(dir + "/gatehouse.key"); err == nil && st.Mode().Perm() != 0o600 {
		t.Errorf("gatehouse.key mode %v, want 0600", st.Mode().Perm())
	}
}

// TestAuditTrail: every mutating call leaves an audit event with actor,
// target, source IP and result; a refused call leaves a failure event.
func TestAuditTrail(t *testing.T) {
	dbPath := t.TempDir() + "/gh.db"
	g := start(t, "sqlite:"+dbPath)
	auth := with(bearer(g.token(clientID, clientSecret, nil)), "User-Agent", "audit-test/1")
	id := g.call("POST", "/api/v2/tenant/users", map[string]string{"user_name": "wangwu", "mobile": "13600000000"}, auth).json(t)["user_id"].(string)
	g.call("PUT", "/api/v2/tenant/users/"+id, map[string]string{"name": "Wang Wu"}, auth)
	g.call("PUT", "/api/v2/tenant/users/"+id+"/disable", nil, auth)
	g.call("POST", "/api/v2/tenant/users", map[string]string{"user_name": "wangwu", "mobile": "13600000001"}, auth) // duplicate
	g.call("DELETE", "/api/v2/tenant/users/"+id, nil, auth)

	store, err := sqlstore.Open(context.Background(), "sqlite:"+dbPath, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	events, err := store.Audit().List(context.Background(), storage.DefaultTenantID, storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.ActorType != "api_client" || e.ActorID != clientID || e.SourceIP != "127.0.0.1" || e.UserAgent != "audit-test/1" || e.TargetType != "user" {
			t.Errorf("event %+v lacks actor, source or target", e)
		}
		got = append(got, e.Action+":"+e.Result+":"+e.Detail)
		if e.Result == "success" && e.TargetID != id {
			t.Errorf("event %s targets %s, want %s", e.Action, e.TargetID, id)
		}
	}
	want := []string{"user.create:success:", "user.update:success:", "user.disable:success:", "user.create:failure:USER.0004", "user.delete:success:"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("audit trail\n got %v\nwant %v", got, want)
	}
}
