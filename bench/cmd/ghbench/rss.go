package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// memStatus is a process's memory as /proc/PID/status reports it, in KiB.
type memStatus struct {
	rss, hwm, anon, file int
}

func readMemStatus(pid int) (memStatus, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStatus{}, err
	}
	defer f.Close()
	var m memStatus
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			m.rss = n
		case "VmHWM":
			m.hwm = n
		case "RssAnon":
			m.anon = n
		case "RssFile":
			m.file = n
		}
	}
	return m, sc.Err()
}

// runRSS starts the server, lets it idle, and reads its resident memory;
// then it sends some load (gets and list pages) and reads it again after
// another idle spell.
func runRSS(args []string) error {
	fs := flag.NewFlagSet("ghbench rss", flag.ContinueOnError)
	var c common
	var runs, clients int
	var idle, load time.Duration
	fs.IntVar(&runs, "runs", 3, "server starts (the median of each reading is printed)")
	fs.DurationVar(&idle, "idle", 10*time.Second, "idle time before each reading")
	fs.DurationVar(&load, "load", 5*time.Second, "load between the two readings (gets and first list pages); 0 skips the second reading")
	fs.IntVar(&clients, "clients", 8, "concurrent clients of the load")
	if err := parseFlags(fs, &c, args); err != nil {
		return err
	}
	ctx := context.Background()
	fmt.Println(machine(c.backend()))
	var idleMem, loadedMem []memStatus
	for i := range runs {
		p, _, err := c.start(ctx, startOptions{})
		if err != nil {
			return err
		}
		time.Sleep(idle)
		m, err := readMemStatus(p.pid())
		if err != nil {
			p.stop()
			return err
		}
		idleMem = append(idleMem, m)
		fmt.Fprintf(os.Stderr, "run %d: idle VmRSS %d KiB\n", i+1, m.rss)
		if load > 0 {
			if err := rssLoad(ctx, p, clients, load); err != nil {
				p.stop()
				return err
			}
			time.Sleep(idle)
			m, err := readMemStatus(p.pid())
			if err != nil {
				p.stop()
				return err
			}
			loadedMem = append(loadedMem, m)
			fmt.Fprintf(os.Stderr, "run %d: after load VmRSS %d KiB (peak %d KiB)\n", i+1, m.rss, m.hwm)
		}
		if err := p.stop(); err != nil {
			return err
		}
	}
	fmt.Printf("\n| backend | reading | runs | VmRSS MiB (median) | RssAnon MiB | RssFile MiB | VmHWM MiB (peak) |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, r := range []struct {
		name string
		ms   []memStatus
	}{{fmt.Sprintf("idle %s after ready", idle), idleMem}, {fmt.Sprintf("idle %s after %s of load", idle, load), loadedMem}} {
		if len(r.ms) == 0 {
			continue
		}
		med := func(get func(memStatus) int) string {
			var v []int
			for _, m := range r.ms {
				v = append(v, get(m))
			}
			slices.Sort(v)
			return fmt.Sprintf("%.1f", float64(v[len(v)/2])/1024)
		}
		fmt.Printf("| %s | %s | %d | %s | %s | %s | %s |\n", c.backend(), r.name, len(r.ms),
			med(func(m memStatus) int { return m.rss }), med(func(m memStatus) int { return m.anon }),
			med(func(m memStatus) int { return m.file }), med(func(m memStatus) int { return m.hwm }))
	}
	return nil
}

// rssLoad sends gets of known users and first list pages for d.
func rssLoad(ctx context.Context, p *proc, clients int, d time.Duration) error {
	tok, err := p.token(ctx)
	if err != nil {
		return err
	}
	a := &apiBench{base: p.base, token: tok}
	if err := a.ensureIDs(ctx); err != nil {
		return err
	}
	list := a.list(0)
	s := runLoad(ctx, loadSpec{name: "rss load", conc: clients, dur: d}, func(ctx context.Context, w, seq int) error {
		if rand.IntN(10) == 0 {
			return list(ctx, w, seq)
		}
		id := a.ids[rand.IntN(len(a.ids))]
		req, err := a.request(ctx, "GET", "/api/v2/tenant/users/"+id, nil)
		if err != nil {
			return err
		}
		return doJSON(req, http.StatusOK, nil)
	})
	fmt.Fprintf(os.Stderr, "  load: %d requests, %.0f/s, %d errors\n", s.n, s.rps(), s.errs)
	return nil
}
