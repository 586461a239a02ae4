package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The harness's own credentials. The secret key must be the same for the
// seeding (which bootstraps the database) and every server started on it.
const (
	benchClientID     = "ghbench"
	benchClientSecret = "ghbench-client-secret-0123456789"
	defaultSecretKey  = "ghbench-secret-key-for-benchmark-databases-only"
)

// common holds the flags every subcommand shares.
type common struct {
	db        string
	bin       string
	secretKey string
	logLevel  string
	logDir    string
	keepLogs  bool
}

func (c *common) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.db, "db", "", "database: sqlite:PATH or postgres://user:pass@host:port/db (required)")
	c.bindServer(fs)
}

// bindServer binds the flags about the server under test, all but --db.
func (c *common) bindServer(fs *flag.FlagSet) {
	fs.StringVar(&c.bin, "bin", "", "gatehouse binary to run (default: go build ./cmd/gatehouse into a temporary directory)")
	fs.StringVar(&c.secretKey, "secret-key", defaultSecretKey, "GATEHOUSE_SECRET_KEY of the benchmark database")
	fs.StringVar(&c.logLevel, "server-log-level", "info", "--log-level of the server (info logs one line per request, as in production)")
	fs.StringVar(&c.logDir, "log-dir", "", "directory for the server's log (default: a temporary directory)")
	fs.BoolVar(&c.keepLogs, "keep-logs", false, "keep the server's log file after it stops (it is removed by default: info level writes a line per request)")
}

func (c *common) check() error {
	if c.db == "" {
		return errors.New("--db is required (sqlite:PATH or postgres://...)")
	}
	return nil
}

func (c *common) backend() string {
	if strings.HasPrefix(c.db, "sqlite:") {
		return "sqlite"
	}
	return "postgres"
}

// parseFlags parses args with fs after binding the common flags.
func parseFlags(fs *flag.FlagSet, c *common, args []string) error {
	c.bind(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c.check()
}

// binary returns the gatehouse binary to run, building it once when --bin
// is not given. The build needs the working directory inside the module.
func (c *common) binary() (string, error) {
	if c.bin != "" {
		return c.bin, nil
	}
	dir, err := os.MkdirTemp("", "ghbench-bin-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "gatehouse")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", out, "github.com/gatehouse/gatehouse/cmd/gatehouse")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/gatehouse (run ghbench from the module root, or pass --bin): %w", err)
	}
	fmt.Fprintf(os.Stderr, "built %s in %s\n", out, time.Since(start).Round(time.Millisecond))
	c.bin = out
	return out, nil
}

// proc is a running gatehouse server.
type proc struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT
	logPath string
	log     *os.File // nil when the log goes to buf
	keepLog bool
	buf     *bytes.Buffer // the log, when captured in memory
	mu      *sync.Mutex   // guards buf
	done    chan struct{}
	waitErr error
}

// startOptions say where a server's log goes.
type startOptions struct {
	// captureLog keeps the log in memory (for short runs that parse it)
	// instead of a file under --log-dir.
	captureLog bool
	logFormat  string
	// args are more flags for "gatehouse serve".
	args []string
}

// start execs the server on a free loopback port and returns once /readyz
// answers 200, with the time from exec until then.
func (c *common) start(ctx context.Context, o startOptions) (*proc, time.Duration, error) {
	bin, err := c.binary()
	if err != nil {
		return nil, 0, err
	}
	if c.backend() == "postgres" {
		if err := ensurePostgresDatabase(ctx, c.db); err != nil {
			return nil, 0, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	format := o.logFormat
	if format == "" {
		format = "json"
	}
	cmd := exec.Command(bin, "serve", "--addr", addr, "--db", c.db, "--log-level", c.logLevel, "--log-format", format,
		"--base-url", "http://"+addr)
	cmd.Args = append(cmd.Args, o.args...)
	cmd.Env = append(serverEnv(), "GATEHOUSE_SECRET_KEY="+c.secretKey,
		"GATEHOUSE_BOOTSTRAP_API_CLIENT_ID="+benchClientID, "GATEHOUSE_BOOTSTRAP_API_CLIENT_SECRET="+benchClientSecret)
	p := &proc{cmd: cmd, base: "http://" + addr, done: make(chan struct{}), keepLog: c.keepLogs}
	if o.captureLog {
		p.buf, p.mu = &bytes.Buffer{}, &sync.Mutex{}
		cmd.Stderr = lockedWriter{p.buf, p.mu}
	} else {
		dir := c.logDir
		if dir == "" {
			dir = os.TempDir()
		}
		f, err := os.CreateTemp(dir, "ghbench-gatehouse-*.log")
		if err != nil {
			return nil, 0, err
		}
		p.log, p.logPath = f, f.Name()
		cmd.Stderr = f
	}
	cmd.Stdout = cmd.Stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		p.closeLog()
		return nil, 0, err
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(ctx, 60*time.Second); err != nil {
		tail := p.logTail()
		p.stop()
		return nil, 0, fmt.Errorf("%w\n%s", err, tail)
	}
	return p, time.Since(t0), nil
}

// serverEnv is this process's environment without GATEHOUSE_* variables,
// so that nothing set in the shell changes the server under test.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEHOUSE_") {
			env = append(env, kv)
		}
	}
	return env
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// readyClient opens a new connection per probe, as a load balancer's
// health check does, so no pooled connection hides a slow accept.
var readyClient = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true},
	Timeout:   2 * time.Second,
}

// waitReady polls /readyz every half millisecond until it answers 200.
func (p *proc) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("gatehouse exited before it was ready: %v", p.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := readyClient.Get(p.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gatehouse not ready after %s", limit)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// pid is the server's process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, waits for the process to drain and exit, and kills
// it if it takes longer than 30 s.
func (p *proc) stop() error {
	defer p.closeLog()
	select {
	case <-p.done:
		return p.waitErr
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return errors.New("gatehouse did not stop within 30 s of SIGTERM; killed")
	}
}

func (p *proc) closeLog() {
	if p.log != nil {
		p.log.Close()
		if !p.keepLog {
			os.Remove(p.logPath)
		}
	}
}

// logNote says where the kept log is, for the report.
func (p *proc) logNote() string {
	if p.keepLog && p.logPath != "" {
		return ", log " + p.logPath
	}
	return ""
}

// logText returns what the server has logged so far.
func (p *proc) logText() string {
	if p.buf != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.buf.String()
	}
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// logTail is the end of the log, for error messages.
func (p *proc) logTail() string {
	s := p.logText()
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// token gets a management-API access token for the harness's client.
func (p *proc) token(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {benchClientID}, "client_secret": {benchClientSecret}}
	req, err := http.NewRequestWithContext(ctx, "POST", p.base+"/api/v2/tenant/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := doJSON(req, http.StatusOK, &out); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return out.AccessToken, nil
}
