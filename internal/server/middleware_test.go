package server

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log destination read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// TestObserve: the access log names the route and the tenant, the public
// documents' successful fetches log at debug only, a handler's tenant
// comes from the request's info, request ids are unique, and an unknown
// method does not become a metric series of its own.
func TestObserve(t *testing.T) {
	var logs syncBuffer
	s := testServer(t, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	serve := func(method, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		r.Host = "id.example.com"
		w := httptest.NewRecorder()
		s.handler.ServeHTTP(w, r)
		return w
	}
	logs.take() // startup lines

	w := serve("GET", "/api/v1/oauth2/keys")
	if w.Code != 200 {
		t.Fatalf("JWKS: %d", w.Code)
	}
	// A public document: JSON any origin may read, never rendered.
	if h := w.Header(); h.Get("Cross-Origin-Resource-Policy") != "cross-origin" || h.Get("X-Frame-Options") != "" ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
		h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("JWKS headers: %v", h)
	}
	if w := serve("GET", "/.well-known/openid-configuration"); w.Code != 200 || !strings.Contains(w.Body.String(), `"issuer":"http://id.example.com/api/v1/oauth2"`) {
		t.Fatalf("discovery: %d %s", w.Code, w.Body)
	}
	if l := logs.take(); l != "" {
		t.Errorf("documents logged at info: %s", l)
	}

	w1, w2 := serve("GET", "/api/v2/tenant/users"), serve("GET", "/api/v2/tenant/users")
	if w1.Code != 401 {
		t.Fatalf("users without a token: %d", w1.Code)
	}
	if id1, id2 := w1.Header().Get("X-Request-Id"), w2.Header().Get("X-Request-Id"); id1 == "" || id1 == id2 {
		t.Errorf("request ids %q, %q: want unique", id1, id2)
	}
	l := logs.take()
	for _, want := range []string{`"msg":"request"`, `"route":"GET /api/v2/tenant/users"`, `"status":401`, `"tenant":"default"`} {
		if !strings.Contains(l, want) {
			t.Errorf("access log lacks %s: %s", want, l)
		}
	}

	serve("BREW", "/healthz")
	m := serve("GET", "/metrics").Body.String()
	if strings.Contains(m, `method="BREW"`) || !strings.Contains(m, `method="other"`) {
		t.Errorf("an unknown method is a series of its own:\n%s", grepLines(m, "gatehouse_http_requests_total"))
	}
	if !strings.Contains(m, `gatehouse_http_requests_total{code="401",method="GET",route="GET /api/v2/tenant/users"} 2`) {
		t.Errorf("requests not counted:\n%s", grepLines(m, "gatehouse_http_requests_total"))
	}
	// Response headers every answer carries.
	h := serve("GET", "/healthz").Header()
	for _, k := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy"} {
		if h.Get(k) == "" {
			t.Errorf("/healthz lacks %s", k)
		}
	}
	if h.Get("Cross-Origin-Resource-Policy") != "same-origin" {
		t.Errorf("/healthz: Cross-Origin-Resource-Policy %q", h.Get("Cross-Origin-Resource-Policy"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
