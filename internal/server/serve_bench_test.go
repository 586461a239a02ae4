package server

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// discardWriter is a ResponseWriter that keeps nothing, so that a
// benchmark counts the server's allocations, not a recorder's.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }

// benchServer is the whole HTTP stack on a new SQLite file, logging at
// info (one JSON line per request, to io.Discard) as in production.
func benchServer(b testing.TB) *Server {
	return testServer(b, slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

// testServer is the whole HTTP stack on a new SQLite file, logging to log.
func testServer(b testing.TB, log *slog.Logger) *Server {
	b.Helper()
	var cfg config.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.Bind(fs)
	if err := config.Parse(fs, &cfg, []string{"--db", "sqlite:" + filepath.Join(b.TempDir(), "g.db"),
		"--secret-key", "benchmark-secret-key-benchmark-secret-key", "--base-url", "http://id.example.com"},
		func(string) string { return "" }); err != nil {
		b.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	app, err := Open(context.Background(), &cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { app.Close() })
	if err := app.Bootstrap(context.Background()); err != nil {
		b.Fatal(err)
	}
	s, err := New(app)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkServeDocuments: the server's own cost (middleware, tenant,
// routing, handler) of the two public documents clients poll, which the
// OIDC issue wants within 80% of a bare net/http handler's rate.
func BenchmarkServeDocuments(b *testing.B) {
	s := benchServer(b)
	for _, path := range []string{"/api/v1/oauth2/keys", "/.well-known/openid-configuration"} {
		b.Run(path, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.Host = "id.example.com"
			w := &discardWriter{h: http.Header{}}
			s.handler.ServeHTTP(w, r) // warm: keys and documents cached
			if w.status != 0 && w.status != http.StatusOK {
				b.Fatalf("%s: %d", path, w.status)
			}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				s.handler.ServeHTTP(w, r)
			}
		})
	}
}

// BenchmarkServeToken: a client_credentials request with an opaque access
// token through the whole stack, the OIDC issue's token-rate path, and its
// ES256 JWT twin.
func BenchmarkServeToken(b *testing.B) {
	s := benchServer(b)
	ctx := context.Background()
	for _, c := range []struct{ name, oidc string }{
		{"opaque", `{"grant_types":["client_credentials"]}`},
		{"ES256", `{"grant_types":["client_credentials"],"access_token_format":"jwt","id_token_signed_response_alg":"ES256"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			var w apps.AppWrite
			if err := json.Unmarshal([]byte(`{"name":"bench `+c.name+`","protocol":"oauth2","oidc":`+c.oidc+`}`), &w); err != nil {
				b.Fatal(err)
			}
			app, err := s.app.Apps.Register(ctx, storage.DefaultTenantID, audit.System, &w)
			if err != nil {
				b.Fatal(err)
			}
			body := "grant_type=client_credentials&client_id=" + url.QueryEscape(app.ClientID) + "&client_secret=" + url.QueryEscape(app.ClientSecret)
			rw := &discardWriter{h: http.Header{}}
			req := func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/api/v1/oauth2/token", strings.NewReader(body))
				r.Host = "id.example.com"
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}
			s.handler.ServeHTTP(rw, req())
			if rw.status != http.StatusOK {
				b.Fatalf("token: %d", rw.status)
			}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				r := req()
				clear(rw.h)
				b.StartTimer()
				s.handler.ServeHTTP(rw, r)
			}
		})
	}
}
