package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

func jwtPart(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// median returns the median req/s of a scenario and whether it ran
// cleanly (at most 1% errors in its median run).
func (b *oidcBench) median(key string) (float64, bool) {
	rs := b.results[key]
	if len(rs) == 0 {
		return 0, false
	}
	m := medianResult(rs)
	return m.rps, m.errorRate() <= 0.01
}

// bestPeerToken is the highest token rate any peer reached, and where.
func (b *oidcBench) bestPeerToken() (float64, string, string) {
	best, where, key := 0.0, "", ""
	for _, sc := range b.scenarios {
		if strings.HasPrefix(sc.key, "gh-") || strings.HasPrefix(sc.key, "bare/") || !strings.Contains(sc.key, "/token") {
			continue
		}
		if v, ok := b.median(sc.key); ok && v > best {
			best, where, key = v, sc.target+", "+sc.what, sc.key
		}
	}
	return best, where, key
}

// medianCPU is the median over the rounds of the server's CPU per request.
func (b *oidcBench) medianCPU(key string) time.Duration {
	var v []float64
	for _, r := range b.results[key] {
		if r.cpu > 0 {
			v = append(v, float64(r.cpu))
		}
	}
	return time.Duration(medianFloat(v))
}

func fmtCPU(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Microsecond))
}

func spread(rs []wrkResult) string {
	if len(rs) < 2 {
		return "—"
	}
	lo, hi := rs[0].rps, rs[0].rps
	for _, r := range rs[1:] {
		lo, hi = min(lo, r.rps), max(hi, r.rps)
	}
	return fmt.Sprintf("%.0f–%.0f", lo, hi)
}

func fmtAllocs(v float64, bytes bool) string {
	switch {
	case v < 0:
		return "—"
	case bytes:
		return fmt.Sprintf("%.1f KiB", v/1024)
	}
	return fmt.Sprintf("%.0f", v)
}

func (b *oidcBench) report(w io.Writer) {
	fmt.Fprintf(w, "\n### OIDC run of %s (load average %s at the start, %s at the end)\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		b.loadStart, loadAvg())
	fmt.Fprintf(w, "wrk -t%d -c%d; each figure is the median of %d round(s) of %s (after %s of warm-up); the range is over the rounds.\n",
		b.o.threads, b.o.conns, b.o.rounds, b.o.duration, b.o.warmup)
	fmt.Fprintf(w, "CPU/req is the server's own CPU time (user + system, all its processes) over the measured run divided by the requests (median\n")
	fmt.Fprintf(w, "of the rounds); allocations per request come from the Go runtime's counters of Gatehouse (/metrics) and of the bare server.\n\n")
	fmt.Fprintln(w, "| server | request | req/s | range | p50 ms | p99 ms | CPU µs/req | allocs/req | alloc/req | errors |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, sc := range b.scenarios {
		rs := b.results[sc.key]
		if len(rs) == 0 {
			continue
		}
		m := medianResult(rs)
		errs := fmt.Sprint(m.non2xx + m.sockErrs)
		if m.errorRate() > 0.01 {
			errs = "**" + errs + " (invalid)**"
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n", sc.target, sc.what, m.rps, spread(rs), msec(m.p50), msec(m.p99),
			fmtCPU(b.medianCPU(sc.key)), fmtAllocs(m.allocs, false), fmtAllocs(m.allocBytes, true), errs)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| in-process signing, all cores (Go) | signatures/s | range | CPU µs/signature |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, alg := range []string{"RS256", "ES256"} {
		v := b.signs[alg]
		if len(v) == 0 {
			continue
		}
		name := map[string]string{"RS256": "RS256 (RSA-2048, PKCS #1 v1.5)", "ES256": "ES256 (P-256)"}[alg]
		fmt.Fprintf(w, "| %s | %.0f | %.0f–%.0f | %s |\n", name, medianFloat(v), slices.Min(v), slices.Max(v),
			fmtCPU(time.Duration(medianFloat(b.signCPU[alg]))))
	}
	if len(b.codes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| backend | ID token | codes minted | minting | exchanges/s | p50 ms | p99 ms | Gatehouse CPU µs/exchange | errors |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
		for _, cr := range b.codes {
			if cr.err != nil {
				fmt.Fprintf(w, "| %s | %s | %d | — | failed: %s | | | | |\n", cr.backend, cr.alg, cr.minted, strings.ReplaceAll(cr.err.Error(), "|", "/"))
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %d | %.1f s (%.0f/s) | %.0f | %s | %s | %s | %d |\n", cr.backend, cr.alg, cr.minted, cr.mintTook.Seconds(),
				float64(cr.minted)/cr.mintTook.Seconds(), cr.ex.rate(), msec(cr.ex.p50), msec(cr.ex.p99), fmtCPU(cr.cpu), cr.ex.errs)
			if cr.ex.firstErr != "" {
				fmt.Fprintf(w, "\nfirst exchange error (%s %s): %s\n\n", cr.backend, cr.alg, cr.ex.firstErr)
			}
		}
	}
	fmt.Fprintln(w)
	b.targets(w)
	for _, n := range b.peerNotes {
		fmt.Fprintf(w, "\n- %s", n)
	}
	fmt.Fprintln(w)
}

// targets prints the targets as ratios measured in this run.
func (b *oidcBench) targets(w io.Writer) {
	fmt.Fprintln(w, "| target | Gatehouse req/s | reference | ratio | needed | met? | ratio of CPU per request (reference ÷ Gatehouse) |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---|---:|")
	// cpu and refCPU are CPU time per request: the same comparison by
	// efficiency, which the other programs on the machine disturb less.
	row := func(name string, v float64, vok bool, ref float64, refName string, need float64, cpu, refCPU time.Duration) {
		cpuRatio := "—"
		if cpu > 0 && refCPU > 0 {
			cpuRatio = fmt.Sprintf("%.2f", float64(refCPU)/float64(cpu))
		}
		if !vok || ref <= 0 {
			fmt.Fprintf(w, "| %s | %s | %s | — | %.2f | not measured | %s |\n", name, orDash(v), refName, need, cpuRatio)
			return
		}
		met := "**not met**"
		if v/ref >= need {
			met = "met"
		}
		fmt.Fprintf(w, "| %s | %.0f | %s: %.0f | %.2f | %.2f | %s | %s |\n", name, v, refName, ref, v/ref, need, met, cpuRatio)
	}
	best, bestWhere, bestKey := b.bestPeerToken()
	cpu := b.medianCPU
	dexES, _ := b.median("dex-ES256/token")
	dexES2, _ := b.median("dex-ES256/token-openid")
	rsa := medianFloat(b.signs["RS256"])
	rsaCPU := time.Duration(medianFloat(b.signCPU["RS256"])) // CPU per signature
	bareJ, _ := b.median("bare/jwks")
	bareD, _ := b.median("bare/discovery")
	for _, g := range b.gh {
		op, ok := b.median(g.key + "/token-opaque")
		k := g.key
		row(g.label+": client_credentials, opaque", op, ok, best, "best peer token rate ("+bestWhere+")", 1.5, cpu(k+"/token-opaque"), cpu(bestKey))
		es, ok := b.median(g.key + "/token-es256")
		row(g.label+": client_credentials, ES256 JWT", es, ok, dexES, "Dex ES256, one signature", 1.5, cpu(k+"/token-es256"), cpu("dex-ES256/token"))
		if dexES2 > 0 {
			row(g.label+": client_credentials, ES256 JWT (vs Dex with scope openid, as the issue measured it)", es, ok, dexES2,
				"Dex ES256, access + ID token", 1.5, cpu(k+"/token-es256"), cpu("dex-ES256/token-openid"))
		}
		rs, ok := b.median(g.key + "/token-rs256")
		row(g.label+": client_credentials, RS256 JWT", rs, ok, rsa, "RSA-2048 signatures/s in-process", 0.9, cpu(k+"/token-rs256"), rsaCPU)
		j, ok := b.median(g.key + "/jwks")
		row(g.label+": JWKS", j, ok, bareJ, "bare net/http, same bytes", 0.8, cpu(k+"/jwks"), cpu("bare/jwks"))
		d, ok := b.median(g.key + "/discovery")
		row(g.label+": discovery", d, ok, bareD, "bare net/http, same bytes", 0.8, cpu(k+"/discovery"), cpu("bare/discovery"))
	}
	for _, cr := range b.codes {
		if cr.err != nil {
			continue
		}
		need := "5000/s (PostgreSQL)"
		met := "—"
		if cr.backend == "PostgreSQL" && cr.alg == "ES256" {
			met = "**not met**"
			if cr.ex.rate() >= 5000 && cr.ex.errs == 0 {
				met = "met"
			}
		} else {
			need = "— (for information)"
		}
		fmt.Fprintf(w, "| %s: authorization-code exchange, %s ID token | %.0f/s | absolute | — | %s | %s | — |\n", cr.backend, cr.alg, cr.ex.rate(), need, met)
	}
}

func orDash(v float64) string {
	if v <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", v)
}
