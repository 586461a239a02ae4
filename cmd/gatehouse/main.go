// Command gatehouse is the Gatehouse identity server and its operator
// tools, in one binary. Run "gatehouse --help" for the commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gatehouse/gatehouse/internal/config"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	// flags declares the command's own flags (beyond the common ones).
	flags func(fs *flag.FlagSet) func() error
	run   func(env *cmdEnv) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "run the server (the default command)", nil, runServe},
		{"migrate", "apply database migrations and exit", nil, runMigrate},
		{"bootstrap", "create the default tenant and the GATEHOUSE_BOOTSTRAP_* admin and API client, then exit", nil, runBootstrap},
		{"version", "print the version", nil, runVersion},
		{"tenant create", "create a tenant (--name, --domain); prints its first API client", tenantCreateFlags, runTenantCreate},
		{"tenant list", "print every tenant, one JSON line each", nil, runTenantList},
		{"user create", "create a user (--user-name, --password, ...); prints its id", userCreateFlags, runUserCreate},
		{"user list", "print a tenant's users, one JSON line each", userListFlags, runUserList},
		{"app create", "register an application (--name, --protocol, --redirect-uri, ...); prints it with its client secret", appCreateFlags, runAppCreate},
		{"app list", "print a tenant's applications, one JSON line each", appListFlags, runAppList},
		{"app delete", "delete an application (--id); its client and tokens stop working", appDeleteFlags, runAppDelete},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run executes the command line and returns the exit status: 0 on success
// (and on SIGTERM after draining), 2 on a usage or configuration error, 1
// on any other failure. Errors are printed as one line.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd, rest, ok := findCommand(args)
	if !ok {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "gatehouse: unknown command %q (run gatehouse --help)\n", strings.Join(args, " "))
		return 2
	}
	fs := flag.NewFlagSet("gatehouse "+cmd.name, flag.ContinueOnError)
	cfg := &config.Config{}
	cfg.Bind(fs)
	var check func() error
	if cmd.flags != nil {
		check = cmd.flags(fs)
	}
	if err := config.Parse(fs, cfg, rest, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(stdout, cmd, fs)
			return 0
		}
		fmt.Fprintf(stderr, "gatehouse %s: %s\n", cmd.name, config.OneLine(err))
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gatehouse %s: unexpected argument %q\n", cmd.name, fs.Arg(0))
		return 2
	}
	err := cfg.Validate()
	if err == nil && check != nil {
		err = check()
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse %s: %s\n", cmd.name, config.OneLine(err))
		return 2
	}
	env := &cmdEnv{cfg: cfg, stdout: stdout, stderr: stderr}
	if err := cmd.run(env); err != nil {
		fmt.Fprintf(stderr, "gatehouse %s: %s\n", cmd.name, config.OneLine(err))
		return 1
	}
	return 0
}

// findCommand matches the longest command name at the start of args;
// no arguments, or flags first, mean serve.
func findCommand(args []string) (command, []string, bool) {
	if len(args) == 0 || (strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help") {
		return commands[0], args, true
	}
	var best command
	var n int
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(words) <= len(args) && strings.Join(args[:len(words)], " ") == c.name && len(words) > n {
			best, n = c, len(words)
		}
	}
	return best, args[min(n, len(args)):], n > 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Gatehouse: an identity server (IDaaS) that speaks Huawei Cloud OneAccess's API.

Usage:
  gatehouse [command] [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
With no command, gatehouse serves on :8080 with an SQLite database in the
working directory (sqlite:gatehouse.db), creating and migrating it.
Every flag has an environment twin: --base-url is GATEHOUSE_BASE_URL.
Run "gatehouse <command> --help" for a command's flags.

Bootstrap (environment only, applied on start when absent):
  GATEHOUSE_BOOTSTRAP_ADMIN_USER / GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD
      the first admin user of the default tenant
  GATEHOUSE_BOOTSTRAP_API_CLIENT_ID / GATEHOUSE_BOOTSTRAP_API_CLIENT_SECRET
      a management-API client with full rights (POST /api/v2/tenant/token)
`)
}

func commandUsage(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: gatehouse %s [flags]\n\n%s.\n\nFlags (each also read from the environment variable shown):\n", c.name, upperFirst(c.summary))
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s\n      %s%s\n      env %s\n", f.Name, f.Usage, def, config.EnvName(f.Name))
	})
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
