package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const wrkSample = `Running 8s test @ http://127.0.0.1:40123/api/v1/oauth2/token
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.01ms    1.53ms  40.12ms   92.47%
    Req/Sec    18.31k     1.90k   22.11k    71.25%
  Latency Distribution
     50%  620.00us
     75%    1.01ms
     90%    2.03ms
     99%    7.95ms
  291441 requests in 8.00s, 120.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 17
Requests/sec:  36421.62
Transfer/sec:     15.01MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkSample)
	if err != nil {
		t.Fatal(err)
	}
	if r.rps != 36421.62 || r.requests != 291441 || r.non2xx != 17 || r.sockErrs != 3 {
		t.Fatalf("parsed %+v", r)
	}
	if r.p50 != 620*time.Microsecond || r.p99 != 7950*time.Microsecond {
		t.Fatalf("percentiles %s %s", r.p50, r.p99)
	}
	if rate := r.errorRate(); rate <= 0 || rate > 0.001 {
		t.Fatalf("error rate %f", rate)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Fatal("parsed wrk output without a rate")
	}
}

func TestLuaScript(t *testing.T) {
	sc := &wrkScenario{method: "POST", headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: "a=b&c=\"x\\y\"\n\xe2"}
	got := luaScript(sc)
	want := `wrk.method = "POST"` + "\n" +
		`wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"` + "\n" +
		`wrk.body = "a=b&c=\034x\092y\034\010\226"` + "\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := luaScript(&wrkScenario{}); got != `wrk.method = "GET"`+"\n" {
		t.Fatalf("GET script %q", got)
	}
}

func TestParseAllocs(t *testing.T) {
	m, err := parseAllocs(strings.NewReader("# HELP go_memstats_mallocs_total x\n# TYPE go_memstats_mallocs_total counter\n" +
		"go_memstats_mallocs_total 1.2345e+06\ngo_memstats_alloc_bytes_total 9.5e+07\ngo_memstats_frees_total 3\n"))
	if err != nil || !m.ok || m.mallocs != 1234500 || m.bytes != 95e6 {
		t.Fatalf("%+v %v", m, err)
	}
	if m, _ := parseAllocs(strings.NewReader("go_memstats_mallocs_total 1\n")); m.ok {
		t.Fatal("ok without the bytes counter")
	}
}

// TestRawConn checks the exchange's minimal client: keep-alive, form
// bodies, Location, chunked answers and a server that closes.
func TestRawConn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/authorize":
			if r.Header.Get("Cookie") != "gh_session=abc" {
				http.Error(w, "no cookie", http.StatusBadRequest)
				return
			}
			http.Redirect(w, r, "http://127.0.0.1:9/cb?code=C1&state="+r.URL.Query().Get("state"), http.StatusFound)
		case "/token":
			b, _ := io.ReadAll(r.Body)
			if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
				http.Error(w, "type", http.StatusBadRequest)
				return
			}
			w.Write([]byte(`{"echo":"` + string(b) + `"}`))
		case "/chunked":
			w.Write([]byte(strings.Repeat("x", 5000))) // over net/http's buffer: chunked
			w.(http.Flusher).Flush()
			w.Write([]byte("end"))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		}
	}))
	defer srv.Close()
	rc, err := newRawConn(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.close()
	resp, err := rc.do("GET", "/authorize?state=7", "gh_session=abc", nil)
	if err != nil || resp.status != http.StatusFound || resp.location != "http://127.0.0.1:9/cb?code=C1&state=7" {
		t.Fatalf("authorize: %+v %v", resp, err)
	}
	first := rc.c
	resp, err = rc.do("POST", "/token", "", []byte("code=C1"))
	if err != nil || resp.status != 200 || string(resp.body) != `{"echo":"code=C1"}` {
		t.Fatalf("token: %d %q %v", resp.status, resp.body, err)
	}
	if rc.c != first {
		t.Fatal("the connection was not kept alive")
	}
	resp, err = rc.do("GET", "/chunked", "", nil)
	if err != nil || len(resp.body) != 5003 || !strings.HasSuffix(string(resp.body), "end") {
		t.Fatalf("chunked: %d bytes, %v", len(resp.body), err)
	}
	if resp, err = rc.do("GET", "/close", "", nil); err != nil || string(resp.body) != "bye" || rc.c != nil {
		t.Fatalf("close: %q %v (conn %v)", resp.body, err, rc.c)
	}
	if resp, err = rc.do("GET", "/authorize?state=8", "gh_session=abc", nil); err != nil || resp.status != http.StatusFound {
		t.Fatalf("after a close: %+v %v", resp, err)
	}
}

func TestFormBodyAndMedian(t *testing.T) {
	if got := formBody("grant_type", "client_credentials", "client_id", "a"); got != "grant_type=client_credentials&client_id=a" {
		t.Fatal(got)
	}
	m := medianResult([]wrkResult{{rps: 3}, {rps: 1}, {rps: 2}})
	if m.rps != 2 {
		t.Fatal(m.rps)
	}
	if medianFloat([]float64{5, 1, 9}) != 5 || medianFloat(nil) != 0 {
		t.Fatal("medianFloat")
	}
}

func TestJWTTokenPrefix(t *testing.T) {
	if got := jwtTokenPrefix("ES256"); got != `"access_token":"eyJhbGciOiJFUzI1` {
		t.Fatal(got)
	}
	if got := jwtTokenPrefix("RS256"); got != `"access_token":"eyJhbGciOiJSUzI1` {
		t.Fatal(got)
	}
}

func TestParseStat(t *testing.T) {
	// comm may hold spaces and parentheses; utime 150 and stime 50 ticks.
	line := "4242 (my (odd) proc) S 1 4240 4240 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 3 0 100 1000 10\n"
	pgrp, cpu, err := parseStat(line)
	if err != nil || pgrp != 4240 || cpu != 2*time.Second {
		t.Fatalf("pgrp %d cpu %s %v", pgrp, cpu, err)
	}
	if _, _, err := parseStat("4242 (x) S 1"); err == nil {
		t.Fatal("short line parsed")
	}
}

func TestKindRank(t *testing.T) {
	for key, want := range map[string]int{"gh-pg/token-opaque": 0, "zitadel/token-opaque": 0, "oidcp/token-es256": 1,
		"dex-ES256/token": 1, "dex-ES256/token-openid": 1, "gh-sqlite/token-rs256": 2, "dex-RS256/token": 2,
		"gh-pg/introspect-es256": 3, "dex-ES256/jwks": 4, "bare/jwks": 4, "dex-ES256/discovery": 5} {
		if got := kindRank(key); got != want {
			t.Errorf("kindRank(%q) = %d, want %d", key, got, want)
		}
	}
}
