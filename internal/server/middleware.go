package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost middleware: request id, client IP, panic
// recovery, access log and metrics. The query string is never logged: the
// token endpoints accept credentials there. Everything it learns about the
// request travels in one reqinfo.Info, the router's match included.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = s.ids.next()
		}
		w.Header()["X-Request-Id"] = []string{id}
		info := &reqinfo.Info{ID: id, IP: s.clientIP(r), Route: "unmatched"}
		ctx := reqinfo.With(r.Context(), info)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		s.metrics.inflight.Inc()
		defer func() {
			s.metrics.inflight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic serving request", "request_id", id, "panic", p, "route", info.Route)
				if sw.status == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			d := time.Since(start)
			status := sw.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http sends an empty 200
			}
			s.metrics.observe(info.Route, r.Method, status, d)
			s.accessLog(ctx, r, info, status, sw.bytes, d)
		}()
		next.ServeHTTP(sw, r)
	})
}

// accessLog writes the request's line: at error for a 5xx, at debug for
// the successful fetches of the public documents clients poll (JWKS,
// discovery: routes marked web.Route.Public), at info otherwise.
func (s *Server) accessLog(ctx context.Context, r *http.Request, info *reqinfo.Info, status, bytes int, d time.Duration) {
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status < 400 && s.quiet[info.Route]: // public documents
		level = slog.LevelDebug
	}
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs, slog.String("request_id", info.ID), slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.String("route", info.Route), slog.Int("status", status),
		slog.Int("bytes", bytes), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("ip", info.IP))
	if info.Tenant != nil {
		attrs = append(attrs, slog.String("tenant", info.Tenant.ID))
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return true
}

// requestIDs makes the ids of requests that bring none: a random prefix
// per process and a counter. They need to be unique, not secret, and a
// counter costs nothing next to reading crypto/rand on every request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [8]byte // 64 random bits: ids of different nodes and restarts do not collide
	rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (g *requestIDs) next() string {
	var buf [32]byte
	return string(strconv.AppendUint(append(buf[:0], g.prefix...), g.n.Add(1), 36))
}

// clientIP is the peer address, or the right-most X-Forwarded-For hop not
// in a trusted proxy range when the peer is a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(ip) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(hop) {
			return hop.String()
		}
		ip = hop
	}
	return ip.String()
}

func (s *Server) trusted(ip netip.Addr) bool {
	for _, p := range s.cfg.Proxies {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// secure sets the security headers every response carries and bounds the
// request body. API responses are never framed, sniffed or cached by
// referrers; pages set their own, stricter policies on top.
func (s *Server) secure(next http.Handler) http.Handler {
	headers := securityHeaders
	if strings.HasPrefix(s.cfg.BaseURL, "https://") {
		headers = append(headers[:len(headers):len(headers)], header{"Strict-Transport-Security", []string{"max-age=31536000"}})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, e := range headers {
			h[e.name] = e.value
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// header is one response header, its name in canonical form.
type header struct {
	name  string
	value []string
}

// securityHeaders go on every response. Their values are shared by every
// response, read-only: net/http only reads them, and a handler that sets
// one again (Set, Add) replaces the slice rather than writing into it.
var securityHeaders = []header{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"Cross-Origin-Resource-Policy", []string{"same-origin"}},
}

// crossOrigin is the Cross-Origin-Resource-Policy of public documents.
var crossOrigin = []string{"cross-origin"}

// publicDocument gives a public document (web.Route.Public: JWKS,
// discovery) the headers of JSON that any origin may read, instead of
// those of a page or an API answer: X-Content-Type-Options and the CSP
// stay (the body is never rendered or framed), Cross-Origin-Resource-Policy
// becomes cross-origin (same-origin contradicted the documents' CORS
// header for no-cors readers), and the headers that only concern a
// document a person views (X-Frame-Options, Referrer-Policy,
// Cross-Origin-Opener-Policy) go: these documents are fetched many times
// a second by every relying party, and each header is work on every one.
func publicDocument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		delete(hd, "X-Frame-Options")
		delete(hd, "Referrer-Policy")
		delete(hd, "Cross-Origin-Opener-Policy")
		hd["Cross-Origin-Resource-Policy"] = crossOrigin
		h.ServeHTTP(w, r)
	})
}

// withTenant resolves the request's tenant (X-tenant-id, else Host, else
// the default tenant) before any handler runs.
func (s *Server) withTenant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := s.app.Resolver.Resolve(r.Context(), r.Host, r.Header.Get("X-Tenant-Id"))
		if err != nil {
			s.log.ErrorContext(r.Context(), "tenant resolution", "err", err)
			writePlainJSON(w, http.StatusServiceUnavailable, `{"error_code":"COMMON.0503","error_msg":"Service unavailable."}`)
			return
		}
		if t == nil {
			if strings.HasSuffix(r.URL.Path, "/token") || strings.HasPrefix(r.URL.Path, "/api/v1/oauth2/") {
				// OAuth endpoints answer in RFC 6749's error shape.
				writePlainJSON(w, http.StatusBadRequest, `{"error":"invalid_request","error_description":"Tenant does not exist."}`)
				return
			}
			writePlainJSON(w, http.StatusBadRequest, `{"error_code":"TENANT.0001","error_msg":"Tenant does not exist."}`)
			return
		}
		if i := reqinfo.Ptr(r.Context()); i != nil {
			i.Tenant = t // tenant.FromContext finds it there
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(tenant.WithTenant(r.Context(), t)))
	})
}

func writePlainJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(body + "\n"))
}
