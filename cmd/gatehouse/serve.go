package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/server"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// cmdEnv is what a command runs with.
type cmdEnv struct {
	cfg    *config.Config
	stdout io.Writer
	stderr io.Writer
}

func (e *cmdEnv) logger() *slog.Logger {
	log, _ := e.newLogger(false)
	return log
}

// newLogger builds the logger --log-level and --log-format ask for. With
// buffered, JSON lines (the format of a log that is not a terminal) are
// batched by a bufferedLog, returned so that the caller can flush and
// close it; it is nil otherwise.
func (e *cmdEnv) newLogger(buffered bool) (*slog.Logger, *bufferedLog) {
	var level slog.Level
	level.UnmarshalText([]byte(e.cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	format := e.cfg.LogFormat
	if format == "auto" {
		format = "json"
		if f, ok := e.stderr.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	}
	if !buffered || e.cfg.LogFlush == 0 {
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	buf := newBufferedLog(e.stderr, e.cfg.LogFlush)
	return slog.New(flushingHandler{slog.NewJSONHandler(buf, opts), buf}), buf
}

// openApp opens the database and services, and applies bootstrap.
func (e *cmdEnv) openApp(ctx context.Context, log *slog.Logger) (*server.App, error) {
	app, err := server.Open(ctx, e.cfg, log)
	if err != nil {
		return nil, err
	}
	if err := app.Bootstrap(ctx); err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

// serveGCPercent is the garbage collector's target for "serve" when the
// GOGC environment variable does not set one: the heap may grow to five
// times the live heap (tens of MB under load) between collections. At
// Go's default of 100 the collector took about a fifth of a token
// request's CPU (ES256 client_credentials: 61-70 us of server CPU per
// request at 100, 47-52 us at 400; bench/README.md). GOGC and GOMEMLIMIT,
// read by the Go runtime, still decide when set.
const serveGCPercent = 400

func runServe(e *cmdEnv) error {
	start := time.Now()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	log, buf := e.newLogger(true)
	if buf != nil {
		defer buf.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	app, err := e.openApp(ctx, log)
	if err != nil {
		return err
	}
	defer app.Close()
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", e.cfg.Addr, err)
	}
	srv, err := server.New(app)
	if err != nil {
		return err
	}
	log.Info("gatehouse ready", "addr", ln.Addr().String(), "base_url", e.cfg.BaseURL,
		"issuer", e.cfg.BaseURL+"/api/v1/oauth2", "database", app.Store.Dialect(), "version", version(),
		"startup_ms", float64(time.Since(start).Microseconds())/1000)
	if buf != nil {
		buf.Flush() // whoever waits for this line should not wait for the batch
	}
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("gatehouse stopped")
	return nil
}

func runMigrate(e *cmdEnv) error {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, e.cfg.DB, sqlstore.Options{MaxConns: e.cfg.DBMaxConns})
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	v, _, _ := store.SchemaVersion(ctx)
	fmt.Fprintf(e.stdout, "applied %d migration(s); schema version %d\n", n, v)
	return nil
}

func runBootstrap(e *cmdEnv) error {
	app, err := e.openApp(context.Background(), e.logger())
	if err != nil {
		return err
	}
	return app.Close()
}

// Version is set at build time with -ldflags "-X main.Version=v1.2.3".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
	}
	return "devel"
}

func runVersion(e *cmdEnv) error {
	fmt.Fprintln(e.stdout, "gatehouse", version())
	return nil
}

// quietLogger logs only warnings, for commands whose stdout is data.
func (e *cmdEnv) quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
