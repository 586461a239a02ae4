package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// httpClient is shared by every load worker: keep-alive connections, one
// per worker, as a real API client pool would hold.
var httpClient = &http.Client{
	Transport: &http.Transport{
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	},
	Timeout: 60 * time.Second,
}

// statusError is a response with an unexpected status.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.status, strings.TrimSpace(e.body))
}

// doJSON sends req, wants status want and decodes the body into out
// (unless out is nil, when the body is only drained).
func doJSON(req *http.Request, want int, out any) error {
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return &statusError{resp.StatusCode, string(b)}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// loadSpec is one closed-loop run: conc workers send requests back to
// back; latencies count only after the warm-up, and the run ends after
// dur or once maxReqs requests were measured, whichever comes first.
type loadSpec struct {
	name    string
	conc    int
	warmup  time.Duration
	dur     time.Duration
	maxReqs int // 0: no bound
}

// op sends one request; worker and seq let it pick distinct data.
type op func(ctx context.Context, worker, seq int) error

// stats summarises one run.
type stats struct {
	name     string
	conc     int
	n, errs  int
	elapsed  time.Duration
	lat      []time.Duration // sorted
	firstErr string
}

func (s stats) rps() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.n) / s.elapsed.Seconds()
}

// pct is the nearest-rank percentile p (0-100) of the measured latencies.
func (s stats) pct(p float64) time.Duration {
	return percentile(s.lat, p)
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// runLoad runs sp with o and returns what was measured.
func runLoad(ctx context.Context, sp loadSpec, o op) stats {
	start := time.Now()
	measureFrom := start.Add(sp.warmup)
	end := measureFrom.Add(sp.dur)
	var measured atomic.Int64
	type part struct {
		lat      []time.Duration
		errs     int
		firstErr string
		last     time.Time
	}
	parts := make([]part, sp.conc)
	var wg sync.WaitGroup
	for w := range sp.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pt := &parts[w]
			for seq := 0; ; seq++ {
				if ctx.Err() != nil {
					return
				}
				t := time.Now()
				if !t.Before(end) || (sp.maxReqs > 0 && measured.Load() >= int64(sp.maxReqs)) {
					return
				}
				err := o(ctx, w, seq)
				done := time.Now()
				if t.Before(measureFrom) {
					continue
				}
				measured.Add(1)
				pt.last = done
				if err != nil {
					pt.errs++
					if pt.firstErr == "" {
						pt.firstErr = err.Error()
					}
					continue
				}
				pt.lat = append(pt.lat, done.Sub(t))
			}
		}()
	}
	wg.Wait()
	out := stats{name: sp.name, conc: sp.conc}
	last := measureFrom
	for _, pt := range parts {
		out.lat = append(out.lat, pt.lat...)
		out.errs += pt.errs
		if out.firstErr == "" {
			out.firstErr = pt.firstErr
		}
		if pt.last.After(last) {
			last = pt.last
		}
	}
	out.n = len(out.lat)
	out.elapsed = last.Sub(measureFrom)
	slices.Sort(out.lat)
	return out
}

// table prints results as a Markdown table, the shape bench/README.md uses.
type table struct {
	w       io.Writer
	backend string
	header  bool
}

func newTable(backend string) *table { return &table{w: os.Stdout, backend: backend} }

func (t *table) row(s stats) {
	if !t.header {
		fmt.Fprintf(t.w, "\n| backend | scenario | clients | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |\n")
		fmt.Fprintf(t.w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		t.header = true
	}
	fmt.Fprintf(t.w, "| %s | %s | %d | %d | %.0f | %s | %s | %s | %s | %d |\n", t.backend, s.name, s.conc, s.n, s.rps(),
		msec(s.pct(50)), msec(s.pct(95)), msec(s.pct(99)), msec(s.pct(100)), s.errs)
	if s.firstErr != "" {
		fmt.Fprintf(os.Stderr, "  first error in %s: %s\n", s.name, s.firstErr)
	}
}

// msec formats a duration in milliseconds with sensible precision.
func msec(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.0f", ms)
}

// machine describes where a run happened, printed above every table.
func machine(backend string) string {
	load, _ := os.ReadFile("/proc/loadavg")
	return fmt.Sprintf("%s  backend=%s  NumCPU=%d  go=%s  loadavg=%s", time.Now().UTC().Format(time.RFC3339),
		backend, runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
}
