package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"
)

// runStartup starts the server on an existing database many times and
// measures, each time, from exec until /readyz first answers 200.
func runStartup(args []string) error {
	fs := flag.NewFlagSet("ghbench startup", flag.ContinueOnError)
	var c common
	var runs int
	fs.IntVar(&runs, "runs", 30, "measured starts (after one unmeasured start that creates or migrates the database if needed)")
	if err := parseFlags(fs, &c, args); err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := c.binary(); err != nil {
		return err
	}
	fmt.Println(machine(c.backend()))
	// The first start creates, migrates and bootstraps the database when
	// it is new, and brings the binary into the page cache.
	p, d, err := c.start(ctx, startOptions{captureLog: true})
	if err != nil {
		return err
	}
	if err := p.stop(); err != nil {
		return fmt.Errorf("first start: stop: %w", err)
	}
	fmt.Printf("unmeasured first start: %s\n", msec(d))
	var toReady, inProcess []time.Duration
	for i := range runs {
		p, d, err := c.start(ctx, startOptions{captureLog: true})
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		if err := p.stop(); err != nil {
			return fmt.Errorf("run %d: stop: %w\n%s", i+1, err, p.logTail())
		}
		toReady = append(toReady, d)
		if ms, ok := readyStartupMS(p.logText()); ok {
			inProcess = append(inProcess, ms)
		}
	}
	fmt.Printf("\n| backend | measure | runs | median ms | p95 ms | min ms | max ms |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, m := range []struct {
		name string
		ds   []time.Duration
	}{{"exec until /readyz 200", toReady}, {`main() until listening ("startup_ms" in the log)`, inProcess}} {
		if len(m.ds) == 0 {
			continue
		}
		slices.Sort(m.ds)
		fmt.Printf("| %s | %s | %d | %s | %s | %s | %s |\n", c.backend(), m.name, len(m.ds),
			msec(percentile(m.ds, 50)), msec(percentile(m.ds, 95)), msec(m.ds[0]), msec(m.ds[len(m.ds)-1]))
	}
	return nil
}

// readyStartupMS finds the startup_ms the server logs with "gatehouse
// ready" (JSON log lines).
func readyStartupMS(log string) (time.Duration, bool) {
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "gatehouse ready") {
			continue
		}
		var v struct {
			StartupMS float64 `json:"startup_ms"`
		}
		if json.Unmarshal([]byte(line), &v) == nil && v.StartupMS > 0 {
			return time.Duration(v.StartupMS * float64(time.Millisecond)), true
		}
	}
	return 0, false
}
