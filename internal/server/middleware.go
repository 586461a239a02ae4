package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
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

type routeKey struct{}

// setRoute tells the outer middleware which route pattern served the
// request, for metric labels and logs.
func setRoute(r *http.Request, pattern string) {
	if p, ok := r.Context().Value(routeKey{}).(*string); ok {
		*p = pattern
	}
}

// observe is the outermost middleware: request id, client IP, panic
// recovery, access log and metrics. The query string is never logged: the
// token endpoints accept credentials there.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		route := "unmatched"
		ctx := context.WithValue(r.Context(), routeKey{}, &route)
		ctx = reqinfo.With(ctx, reqinfo.Info{ID: id, IP: s.clientIP(r)})
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		s.metrics.inflight.Inc()
		defer func() {
			s.metrics.inflight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic serving request", "request_id", id, "panic", p, "route", route)
				if sw.status == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			d := time.Since(start)
			s.metrics.observe(route, r.Method, sw.status, d)
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			attrs := []slog.Attr{slog.String("request_id", id), slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.String("route", route), slog.Int("status", sw.status),
				slog.Int("bytes", sw.bytes), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.String("ip", reqinfo.From(ctx).IP)}
			if t := tenant.FromContext(r.Context()); t != nil {
				attrs = append(attrs, slog.String("tenant", t.ID))
			}
			s.log.LogAttrs(ctx, level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
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

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
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
	hsts := strings.HasPrefix(s.cfg.BaseURL, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// withTenant resolves the request's tenant (X-tenant-id, else Host, else
// the default tenant) before any handler runs.
func (s *Server) withTenant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := s.app.Resolver.Resolve(r.Context(), r.Host, r.Header.Get("X-tenant-id"))
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
		next.ServeHTTP(w, r.WithContext(tenant.WithTenant(r.Context(), t)))
	})
}

func writePlainJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(body + "\n"))
}
