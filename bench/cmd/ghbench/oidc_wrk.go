package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// wrkScenario is one HTTP request that wrk sends over and over.
type wrkScenario struct {
	key     string // stable id, e.g. "gh-sqlite/token-opaque"
	target  string // who answers, for the table: "Gatehouse (SQLite)"
	what    string // what is measured, for the table
	url     string
	method  string
	body    string
	headers map[string]string
	// netns is the pid of a process whose network namespace wrk must run
	// in (a peer that cannot be told to listen on loopback only); 0: ours.
	netns int
	// want is a substring the response to a probe must contain.
	want string
	// metrics is the server's Prometheus endpoint, scraped before and
	// after the measured run for allocations per request ("" for peers).
	metrics string
	// pid is the server's process; with group, every process of its
	// process group (node's cluster workers). Its CPU time over the
	// measured run, per request, is a figure the other programs sharing
	// the cores disturb far less than the rate.
	pid   int
	group bool
}

// wrkResult is what one wrk run printed.
type wrkResult struct {
	requests int
	rps      float64
	p50, p99 time.Duration
	non2xx   int
	sockErrs int
	// allocs and allocBytes per request, from the server's own counters
	// (-1 when not known).
	allocs, allocBytes float64
	// cpu is the server's CPU time (user + system) per request, 0 when
	// not known.
	cpu time.Duration
}

// errorRate is the share of responses that were not 2xx/3xx or failed.
func (r wrkResult) errorRate() float64 {
	if r.requests == 0 {
		return 1
	}
	return float64(r.non2xx+r.sockErrs) / float64(r.requests)
}

// wrkRunner runs wrk with fixed settings and keeps the Lua scripts.
type wrkRunner struct {
	bin     string
	threads int
	conns   int
	dir     string // where the Lua scripts go
}

// luaString quotes s as a Lua string literal: printable ASCII stays,
// everything else becomes a decimal escape.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "\\%03d", c)
	}
	b.WriteByte('"')
	return b.String()
}

// luaScript is the wrk script for sc: method, headers and body, set once.
func luaScript(sc *wrkScenario) string {
	var b strings.Builder
	method := sc.method
	if method == "" {
		method = "GET"
	}
	fmt.Fprintf(&b, "wrk.method = %s\n", luaString(method))
	keys := make([]string, 0, len(sc.headers))
	for k := range sc.headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "wrk.headers[%s] = %s\n", luaString(k), luaString(sc.headers[k]))
	}
	if sc.body != "" {
		fmt.Fprintf(&b, "wrk.body = %s\n", luaString(sc.body))
	}
	return b.String()
}

func (w *wrkRunner) script(sc *wrkScenario) (string, error) {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(sc.key) + ".lua"
	path := filepath.Join(w.dir, name)
	return path, os.WriteFile(path, []byte(luaScript(sc)), 0o644)
}

// run runs wrk against sc for d and parses what it prints.
func (w *wrkRunner) run(ctx context.Context, sc *wrkScenario, d time.Duration) (wrkResult, error) {
	script, err := w.script(sc)
	if err != nil {
		return wrkResult{}, err
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	args := []string{fmt.Sprintf("-t%d", w.threads), fmt.Sprintf("-c%d", w.conns), fmt.Sprintf("-d%ds", secs),
		"--latency", "--timeout", "10s", "-s", script, sc.url}
	name := w.bin
	if sc.netns > 0 {
		args = append([]string{fmt.Sprintf("--net=/proc/%d/ns/net", sc.netns), w.bin}, args...)
		name = "nsenter"
	}
	var before memCounters
	if sc.metrics != "" {
		before, _ = scrapeAllocs(ctx, sc.metrics)
	}
	cpuBefore, cpuErr := procCPU(sc.pid, sc.group)
	cmd := exec.CommandContext(ctx, name, args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w\n%s%s", sc.key, err, out.String(), stderr.String())
	}
	res, err := parseWrk(out.String())
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w\n%s", sc.key, err, out.String())
	}
	if cpuAfter, err := procCPU(sc.pid, sc.group); err == nil && cpuErr == nil && res.requests > 0 {
		res.cpu = (cpuAfter - cpuBefore) / time.Duration(res.requests)
	}
	res.allocs, res.allocBytes = -1, -1
	if sc.metrics != "" && before.ok && res.requests > 0 {
		if after, err := scrapeAllocs(ctx, sc.metrics); err == nil && after.ok {
			res.allocs = (after.mallocs - before.mallocs) / float64(res.requests)
			res.allocBytes = (after.bytes - before.bytes) / float64(res.requests)
		}
	}
	return res, nil
}

var (
	wrkRPS      = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkRequests = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	wrkNon2xx   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSocket   = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkPct      = regexp.MustCompile(`(?m)^\s*(50|99)%\s+([0-9.]+)(us|ms|s|m)\s*$`)
)

// parseWrk reads wrk's text report (run with --latency).
func parseWrk(s string) (wrkResult, error) {
	var r wrkResult
	m := wrkRPS.FindStringSubmatch(s)
	if m == nil {
		return r, errors.New("no Requests/sec line in wrk's output")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkRequests.FindStringSubmatch(s); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
	}
	if m := wrkNon2xx.FindStringSubmatch(s); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSocket.FindStringSubmatch(s); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.Atoi(v)
			r.sockErrs += n
		}
	}
	for _, m := range wrkPct.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	return r, nil
}

// memCounters are the Go runtime's cumulative allocation counters of a
// server, as its /metrics shows them.
type memCounters struct {
	mallocs, bytes float64
	ok             bool
}

var metricsClient = &http.Client{Timeout: 5 * time.Second}

// scrapeAllocs reads go_memstats_mallocs_total and
// go_memstats_alloc_bytes_total from a Prometheus text endpoint.
func scrapeAllocs(ctx context.Context, url string) (memCounters, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return memCounters{}, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return memCounters{}, err
	}
	defer resp.Body.Close()
	return parseAllocs(resp.Body)
}

func parseAllocs(r io.Reader) (memCounters, error) {
	var m memCounters
	found := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		var dst *float64
		switch name {
		case "go_memstats_mallocs_total":
			dst = &m.mallocs
		case "go_memstats_alloc_bytes_total":
			dst = &m.bytes
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return m, fmt.Errorf("metrics: %s: %w", name, err)
		}
		*dst = v
		found++
	}
	m.ok = found == 2
	return m, sc.Err()
}

// probe sends sc's request once and checks the answer: status 200 and the
// wanted substring. Peers in their own network namespace are probed with
// curl run inside it.
func probe(ctx context.Context, sc *wrkScenario) (string, error) {
	method := sc.method
	if method == "" {
		method = "GET"
	}
	var status int
	var body string
	if sc.netns > 0 {
		args := []string{fmt.Sprintf("--net=/proc/%d/ns/net", sc.netns), "curl", "-s", "-m", "10", "-X", method,
			"-o", "-", "-w", "\n%{http_code}"}
		for k, v := range sc.headers {
			args = append(args, "-H", k+": "+v)
		}
		if sc.body != "" {
			args = append(args, "--data-raw", sc.body)
		}
		args = append(args, sc.url)
		out, err := exec.CommandContext(ctx, "nsenter", args...).Output()
		if err != nil {
			return "", fmt.Errorf("probe %s: curl in the peer's network namespace: %w", sc.key, err)
		}
		s := strings.TrimRight(string(out), "\n")
		i := strings.LastIndexByte(s, '\n')
		status, _ = strconv.Atoi(s[i+1:])
		body = s[:max(i, 0)]
	} else {
		var rd io.Reader
		if sc.body != "" {
			rd = strings.NewReader(sc.body)
		}
		req, err := http.NewRequestWithContext(ctx, method, sc.url, rd)
		if err != nil {
			return "", err
		}
		for k, v := range sc.headers {
			req.Header.Set(k, v)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return "", fmt.Errorf("probe %s: %w", sc.key, err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		status, body = resp.StatusCode, string(b)
	}
	if status != http.StatusOK || !strings.Contains(body, sc.want) {
		return body, fmt.Errorf("probe %s: HTTP %d, want 200 with %q: %.300s", sc.key, status, sc.want, body)
	}
	return body, nil
}

// waitHTTP polls url until it answers 200 (or the process behind it
// exits, when done is closed).
func waitHTTP(ctx context.Context, url string, netns int, done <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	sc := &wrkScenario{key: "ready", url: url, netns: netns}
	for {
		select {
		case <-done:
			return errors.New("the process exited before it was ready")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if _, err := probe(ctx, sc); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s", url, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// procCPU is the user + system CPU time of a process so far, or with
// group of every live process in its process group.
func procCPU(pid int, group bool) (time.Duration, error) {
	if pid <= 0 {
		return 0, errors.New("no pid")
	}
	if !group {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, err
		}
		_, cpu, err := parseStat(string(b))
		return cpu, err
	}
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		if pgrp, cpu, err := parseStat(string(b)); err == nil && pgrp == pid {
			total += cpu
		}
	}
	return total, nil
}

// parseStat reads the process group and utime + stime of /proc/PID/stat.
func parseStat(s string) (pgrp int, cpu time.Duration, err error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, errors.New("short /proc stat")
	}
	pgrp, err1 := strconv.Atoi(f[2])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return 0, 0, err
	}
	return pgrp, time.Duration(ut+st) * clockTick, nil
}
