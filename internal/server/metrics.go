package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// metrics are the server's Prometheus collectors, on a registry of its own
// so that tests can build several servers in one process.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	series   sync.Map // seriesKey -> *series
	// logoutNotices counts back-channel logout requests by protocol and
	// result.
	logoutNotices *prometheus.CounterVec
}

func newMetrics(store *sqlstore.Store) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_http_requests_total",
		Help: "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gatehouse_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method"})
	m.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gatehouse_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})
	m.logoutNotices = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_backchannel_logout_requests_total",
		Help: "Back-channel logout requests sent (protocol cas: logoutRequest; oidc: logout token), by result: ok, refused (status 300 or more), failed (no answer).",
	}, []string{"protocol", "result"})
	m.reg.MustRegister(m.requests, m.duration, m.inflight, m.logoutNotices,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	read, write := store.DBs()
	if read == write {
		m.reg.MustRegister(collectors.NewDBStatsCollector(read, "main"))
	} else {
		m.reg.MustRegister(collectors.NewDBStatsCollector(read, "sqlite_read"), collectors.NewDBStatsCollector(write, "sqlite_write"))
	}
	return m
}

// series is one label combination's counter and histogram.
type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

type seriesKey struct {
	route, method string
	code          int
}

// observe counts a request and records its latency. The label values'
// collectors are looked up once per combination and kept (a request then
// costs one map read, not two label hashes and a status-code string).
func (m *metrics) observe(route, method string, code int, d time.Duration) {
	k := seriesKey{route, methodLabel(method), code}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, &series{
			requests: m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(code)),
			duration: m.duration.WithLabelValues(k.route, k.method)})
	}
	sr := v.(*series)
	sr.requests.Inc()
	sr.duration.Observe(d.Seconds())
}

// methodLabel bounds the method label: net/http accepts any token as a
// method, and each would otherwise become series of its own.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions:
		return m
	}
	return "other"
}
