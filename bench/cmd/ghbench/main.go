// Command ghbench measures Gatehouse on this machine: it seeds a large
// directory straight into the database through the storage layer, then
// drives the real gatehouse binary over HTTP and reports request
// throughput, list latency, startup time and idle memory.
//
// Run "go run ./bench/cmd/ghbench help" from the module root; bench/README.md
// says how to run each measurement and what was last measured.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// subcommand is one measurement (or the seeding that some need).
type subcommand struct {
	name    string
	summary string
	run     func(args []string) error
}

func subcommands() []subcommand {
	return []subcommand{
		{"seed", "create organisations and users straight in the database (resumable)", runSeed},
		{"api", "throughput of user create (with and without password), get and list over HTTP", runAPI},
		{"list", "latency of list pages (org filter, no filter, updated_at_greater) over HTTP", runList},
		{"explain", "time the list queries in-process and print their query plans", runExplain},
		{"startup", "time from exec until /readyz answers 200 on an existing database", runStartup},
		{"rss", "resident memory of an idle server (and after some load)", runRSS},
		{"oidc", "OIDC token, introspection, JWKS, discovery and code-exchange rates, beside peer OPs", runOIDC},
		{"cas", "CAS service-ticket issue + validate pairs per second, signed-in clients", runCAS},
	}
}

func main() {
	if err := dispatch(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "ghbench:", err)
		os.Exit(1)
	}
}

func dispatch(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	if args[0] == "barehttp" { // hidden: the bare net/http server of "oidc"
		return runBareHTTP(args[1:])
	}
	for _, c := range subcommands() {
		if c.name == args[0] {
			if err := c.run(args[1:]); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			return nil
		}
	}
	usage(os.Stderr)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: go run ./bench/cmd/ghbench <subcommand> [flags]   (from the module root)")
	fmt.Fprintln(w)
	for _, c := range subcommands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Every subcommand but oidc and cas takes --db sqlite:PATH or --db postgres://...; run "ghbench <subcommand> -h" for its flags.`)
}
