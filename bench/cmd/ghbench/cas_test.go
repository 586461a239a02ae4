package main

import (
	"bytes"
	"context"
	"flag"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/server"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// startInProcess serves Gatehouse from this process (the services and
// handler the binary runs, without its request log) on dsn, for the
// harness test and for profiling the pair with go test -cpuprofile.
func startInProcess(tb testing.TB, dsn string) string {
	tb.Helper()
	app, err := openApp(context.Background(), &common{db: dsn, secretKey: defaultSecretKey})
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := server.New(app)
	if err != nil {
		app.Close()
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(func() {
		ts.Close()
		app.Close()
	})
	return ts.URL
}

// casTarget signs clients in on a new in-process server.
func inProcessCASTarget(tb testing.TB, dsn string, clients int) *casTarget {
	tb.Helper()
	ctx := context.Background()
	base := startInProcess(tb, dsn)
	tok, err := (&proc{base: base}).token(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := setupCAS(ctx, base, tok, clients)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestCASPairs checks the harness on a tiny run against the real handler:
// sign-in of each client through the form, a checked first validation,
// then pairs on both backends (PostgreSQL when GATEHOUSE_TEST_POSTGRES is
// set), with the halves timed and the table printed.
func TestCASPairs(t *testing.T) {
	for _, b := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"SQLite", sqltest.SQLiteDSN}, {"PostgreSQL", sqltest.PostgresDSN}} {
		t.Run(b.name, func(t *testing.T) {
			tgt := inProcessCASTarget(t, b.dsn(t), 3)
			if len(tgt.cookies) != 3 || tgt.cookies[0] == tgt.cookies[1] || !strings.HasPrefix(tgt.cookies[2], "gh_session=") {
				t.Fatalf("cookies %q", tgt.cookies)
			}
			r := runCASPairs(context.Background(), tgt, loadSpec{name: b.name, conc: 3, dur: 20 * time.Second, maxReqs: 30}, 0)
			if r.s.errs != 0 || r.s.n < 30 || r.s.n > 32 {
				t.Fatalf("pairs: %d ok, %d errors (%s); want 30 to 32 ok", r.s.n, r.s.errs, r.s.firstErr)
			}
			if r.login <= 0 || r.check <= 0 || r.login+r.check > r.s.pct(100) {
				t.Errorf("halves %s + %s, slowest pair %s", r.login, r.check, r.s.pct(100))
			}
			var out bytes.Buffer
			printCASTable(&out, []casResult{r, r, r})
			if !strings.Contains(out.String(), "| "+b.name+" | 3 | ") {
				t.Errorf("table:\n%s", out.String())
			}

			// A client whose session is gone gets the sign-in page, not a
			// ticket, and the pair says so.
			p, err := newCASPairs(tgt)
			if err != nil {
				t.Fatal(err)
			}
			defer p.close()
			p.t = &casTarget{base: tgt.base, service: tgt.service, users: tgt.users, cookies: []string{"gh_session=gone"}}
			if err := p.pair(context.Background(), 0, 0); err == nil || !strings.Contains(err.Error(), "/api/v1/login?") {
				t.Errorf("pair without a session: %v", err)
			}
		})
	}
}

func TestCASTicketOf(t *testing.T) {
	s := "https://app.example.com/cas/"
	for loc, want := range map[string]string{
		s + "?ticket=ST-abc":                       "ST-abc",
		s + "?x=1&ticket=ST-abc":                   "ST-abc",
		"https://app.example.com/cas/?ticket=PT-1": "",
		"https://evil.example.com/?ticket=ST-abc":  "",
		s:                            "",
		s + "x?ticket=ST-abc":        "",
		"/api/v1/login?lr=abc":       "",
		s + "?ticket=ST-a%20b&y=2":   "ST-a b",
		s + "?ticket=ST-abc&bad=%zz": "",
	} {
		if got := casTicketOf(loc, s); got != want {
			t.Errorf("casTicketOf(%q) = %q, want %q", loc, got, want)
		}
	}
}

func TestMachineCPU(t *testing.T) {
	busy, total, err := machineCPU()
	if err != nil {
		t.Skipf("no /proc/stat here: %v", err)
	}
	if busy <= 0 || total < busy {
		t.Errorf("busy %d of %d", busy, total)
	}
}

var benchPG = flag.Bool("pg", false, "run BenchmarkCASPair on PostgreSQL (GATEHOUSE_TEST_POSTGRES)")

// BenchmarkCASPair is one pair against the in-process server on SQLite
// (PostgreSQL with -args -pg), 8 clients per core, for profiling:
//
//	go test ./bench/cmd/ghbench -run XXX -bench CASPair -benchtime 20000x -cpuprofile /tmp/cas.cpu
//	go tool pprof -top -cum /tmp/cas.cpu
func BenchmarkCASPair(b *testing.B) {
	dsn := sqltest.SQLiteDSN(b)
	if *benchPG {
		dsn = sqltest.PostgresDSN(b)
	}
	const perCore = 8
	b.SetParallelism(perCore)
	tgt := inProcessCASTarget(b, dsn, perCore*runtime.GOMAXPROCS(0))
	p, err := newCASPairs(tgt)
	if err != nil {
		b.Fatal(err)
	}
	defer p.close()
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := int(next.Add(1) - 1)
		for pb.Next() {
			if err := p.pair(context.Background(), w, 0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
