// Package config is Gatehouse's one configuration struct: every setting has
// a command-line flag and a GATEHOUSE_* environment twin (the flag wins),
// and Validate reports every problem at once, in one line.
package config

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// Config is everything a Gatehouse process is told.
type Config struct {
	Addr          string
	DB            string
	BaseURL       string
	SecretKey     string
	SecretKeyFile string
	LogLevel      string
	LogFormat     string
	LogFlush      time.Duration
	DBMaxConns    int

	Argon2 password.Params

	MgmtTokenLifetime time.Duration
	CodeLifetime      time.Duration
	KeyRotation       time.Duration
	SessionIdle       time.Duration
	SessionLifetime   time.Duration
	Timezone          string
	MobileOptional    bool

	MaxBodyBytes    int64
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	TrustedProxies  string
	OutboundCAFile  string
	// OutboundPublicOnly refuses outbound calls to loopback, private,
	// link-local and other non-public addresses.
	OutboundPublicOnly bool

	// Bootstrap values come from the environment only (SPEC.md run contract).
	BootstrapAdminUser       string
	BootstrapAdminPassword   string
	BootstrapAPIClientID     string
	BootstrapAPIClientSecret string

	// Derived by Validate.
	Location *time.Location
	Proxies  []netip.Prefix
}

// EnvPrefix starts every environment variable Gatehouse reads.
const EnvPrefix = "GATEHOUSE_"

// EnvName is the environment twin of a flag: --base-url is GATEHOUSE_BASE_URL.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Bind declares the common flags on fs, writing into c.
func (c *Config) Bind(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", ":8080", "address to listen on, host:port")
	fs.StringVar(&c.DB, "db", "sqlite:gatehouse.db", "database: sqlite:PATH (created if absent) or postgres://user:pass@host:port/db")
	fs.StringVar(&c.BaseURL, "base-url", "http://localhost:8080", "public URL of the default tenant; the OIDC issuer is BASE/api/v1/oauth2")
	fs.StringVar(&c.SecretKey, "secret-key", "", "key (at least 32 characters) that encrypts signing keys and secrets at rest; every node needs the same one")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", "", "file holding the secret key when --secret-key is empty; created with a new key if absent (default: gatehouse.key beside the SQLite file, or in the working directory)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", "auto", "log format: json, text, or auto (text on a terminal, else json)")
	fs.DurationVar(&c.LogFlush, "log-flush-interval", 100*time.Millisecond, "JSON log lines are written in batches at least this often, warnings and errors at once (0: every line at once)")
	fs.IntVar(&c.DBMaxConns, "db-max-conns", 0, "database connection pool size: the PostgreSQL pool, or the SQLite reader pool (0: PostgreSQL four per CPU, at least 16; SQLite twice the CPUs, at least 4)")
	mem, t, p := uint(password.DefaultParams.MemoryKiB), uint(password.DefaultParams.Time), uint(password.DefaultParams.Threads)
	fs.Func("argon2-memory", fmt.Sprintf("argon2id memory per password hash, KiB (default %d)", mem), uintSetter(&c.Argon2.MemoryKiB))
	fs.Func("argon2-time", fmt.Sprintf("argon2id passes (default %d)", t), uintSetter(&c.Argon2.Time))
	fs.Func("argon2-threads", fmt.Sprintf("argon2id lanes (default %d)", p), func(s string) error {
		var v uint32
		if err := uintSetter(&v)(s); err != nil {
			return err
		}
		if v > 255 {
			return errors.New("too large")
		}
		c.Argon2.Threads = uint8(v)
		return nil
	})
	c.Argon2 = password.DefaultParams
	fs.DurationVar(&c.MgmtTokenLifetime, "mgmt-token-lifetime", 1800*time.Second, "lifetime of management-API access tokens")
	fs.DurationVar(&c.KeyRotation, "key-rotation", 90*24*time.Hour, "rotate each tenant's signing keys when they are this old (0: only on demand)")
	fs.DurationVar(&c.CodeLifetime, "oauth-code-lifetime", time.Minute, "how long an OAuth authorization code may wait for its exchange")
	fs.DurationVar(&c.SessionIdle, "session-idle", 30*time.Minute, "an SSO session unused this long ends")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", 10*time.Hour, "an SSO session ends this long after sign-in, used or not")
	fs.StringVar(&c.Timezone, "timezone", "+08:00", "zone of timestamps in API responses (OneAccess prints local wall time): an IANA name or ±hh:mm")
	fs.BoolVar(&c.MobileOptional, "mobile-optional", false, "let users be created without a mobile number (OneAccess requires one by default)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 1<<20, "largest request body accepted, bytes")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 15*time.Second, "time allowed to read a whole request")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 30*time.Second, "time allowed to write a response")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	fs.StringVar(&c.OutboundCAFile, "outbound-ca-file", "", "PEM file of extra certificate authorities to trust for outbound calls (CAS proxy callbacks, clients' jwks_uri), besides the system's")
	fs.BoolVar(&c.OutboundPublicOnly, "outbound-public-only", false, "refuse outbound calls (SAML metadata_url, jwks_uri, form-fill pages, CAS proxy callbacks, back-channel logout) to loopback, private, link-local and other non-public addresses, whatever a URL's host name resolves to")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed (for source IPs in audit and logs)")
}

func uintSetter(dst *uint32) func(string) error {
	return func(s string) error {
		var v uint32
		if _, err := fmt.Sscan(s, &v); err != nil || fmt.Sprint(v) != s {
			return errors.New("want a whole number")
		}
		*dst = v
		return nil
	}
}

// Parse parses args into a new Config using fs (which may carry a
// command's own flags too), then fills every flag not given on the command
// line from its environment twin. Errors name the flag or variable.
func Parse(fs *flag.FlagSet, c *Config, args []string, getenv func(string) string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		env := EnvName(f.Name)
		if v, ok := lookup(getenv, env); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", env, v, unwrapFlagErr(err)))
			}
		}
	})
	c.BootstrapAdminUser = getenv(EnvPrefix + "BOOTSTRAP_ADMIN_USER")
	c.BootstrapAdminPassword = getenv(EnvPrefix + "BOOTSTRAP_ADMIN_PASSWORD")
	c.BootstrapAPIClientID = getenv(EnvPrefix + "BOOTSTRAP_API_CLIENT_ID")
	c.BootstrapAPIClientSecret = getenv(EnvPrefix + "BOOTSTRAP_API_CLIENT_SECRET")
	return errors.Join(errs...)
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

func unwrapFlagErr(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// Validate checks the whole config and derives Location and Proxies.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("--addr %q: want host:port, e.g. :8080", c.Addr)
	}
	switch {
	case strings.HasPrefix(c.DB, "sqlite:"):
		if strings.TrimPrefix(c.DB, "sqlite:") == "" {
			bad("--db %q: sqlite needs a path, e.g. sqlite:gatehouse.db", c.DB)
		}
	case strings.HasPrefix(c.DB, "postgres://"), strings.HasPrefix(c.DB, "postgresql://"):
		if _, err := url.Parse(c.DB); err != nil {
			bad("--db: not a valid postgres URL")
		}
	default:
		bad("--db: want sqlite:PATH or postgres://…")
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		bad("--base-url %q: want an absolute http(s) URL with no path, e.g. https://id.example.com", c.BaseURL)
	} else {
		c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	}
	if c.SecretKey != "" && len(c.SecretKey) < secret.MinKeyLen {
		bad("--secret-key: must be at least %d characters", secret.MinKeyLen)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFlush < 0 || c.LogFlush > time.Minute {
		bad("--log-flush-interval %s: want 0 to 1m", c.LogFlush)
	}
	switch c.LogFormat {
	case "auto", "json", "text":
	default:
		bad("--log-format %q: want auto, json or text", c.LogFormat)
	}
	if c.DBMaxConns < 0 || c.DBMaxConns > 1000 {
		bad("--db-max-conns %d: want 0-1000", c.DBMaxConns)
	}
	if err := c.Argon2.Validate(); err != nil {
		bad("--argon2-*: %v", err)
	}
	if c.MgmtTokenLifetime < time.Second || c.MgmtTokenLifetime > 24*time.Hour {
		bad("--mgmt-token-lifetime %s: want between 1s and 24h", c.MgmtTokenLifetime)
	}
	if c.KeyRotation != 0 && c.KeyRotation < 24*time.Hour {
		bad("--key-rotation %s: want 0 (off) or at least 24h (a retired key stays published for 24h)", c.KeyRotation)
	}
	if c.CodeLifetime < time.Second || c.CodeLifetime > 10*time.Minute {
		bad("--oauth-code-lifetime %s: want 1s to 10m (RFC 6749 recommends at most 10m)", c.CodeLifetime)
	}
	if c.SessionIdle < time.Minute || c.SessionLifetime < c.SessionIdle || c.SessionLifetime > 90*24*time.Hour {
		bad("--session-idle %s / --session-lifetime %s: want 1m <= idle <= lifetime <= 2160h", c.SessionIdle, c.SessionLifetime)
	}
	if loc, err := ParseZone(c.Timezone); err != nil {
		bad("--timezone %q: %v", c.Timezone, err)
	} else {
		c.Location = loc
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 64<<20 {
		bad("--max-body-bytes %d: want 1024 to 67108864", c.MaxBodyBytes)
	}
	for name, d := range map[string]time.Duration{"read-timeout": c.ReadTimeout, "write-timeout": c.WriteTimeout,
		"idle-timeout": c.IdleTimeout, "shutdown-timeout": c.ShutdownTimeout} {
		if d <= 0 {
			bad("--%s %s: must be positive", name, d)
		}
	}
	c.Proxies = nil
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			bad("--trusted-proxies: %q is not a CIDR such as 10.0.0.0/8", p)
			continue
		}
		c.Proxies = append(c.Proxies, pfx)
	}
	if c.OutboundCAFile != "" {
		if b, err := os.ReadFile(c.OutboundCAFile); err != nil {
			bad("--outbound-ca-file: %v", err)
		} else if !x509.NewCertPool().AppendCertsFromPEM(b) {
			bad("--outbound-ca-file %s: no PEM certificate in it", c.OutboundCAFile)
		}
	}
	if (c.BootstrapAPIClientID == "") != (c.BootstrapAPIClientSecret == "") {
		bad("GATEHOUSE_BOOTSTRAP_API_CLIENT_ID and GATEHOUSE_BOOTSTRAP_API_CLIENT_SECRET must be set together")
	}
	if c.BootstrapAPIClientID != "" && (len(c.BootstrapAPIClientID) > 64 || strings.ContainsAny(c.BootstrapAPIClientID, " :\t\r\n")) {
		bad("GATEHOUSE_BOOTSTRAP_API_CLIENT_ID: at most 64 characters, no spaces or colons")
	}
	if c.BootstrapAPIClientSecret != "" && len(c.BootstrapAPIClientSecret) < 16 {
		bad("GATEHOUSE_BOOTSTRAP_API_CLIENT_SECRET: must be at least 16 characters")
	}
	if (c.BootstrapAdminUser == "") != (c.BootstrapAdminPassword == "") {
		bad("GATEHOUSE_BOOTSTRAP_ADMIN_USER and GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD must be set together")
	}
	return errors.Join(errs...)
}

// ParseZone reads an IANA zone name or a fixed offset ±hh:mm.
func ParseZone(s string) (*time.Location, error) {
	if len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' {
		t, err := time.Parse("-07:00", s)
		if err != nil {
			return nil, errors.New("want ±hh:mm or an IANA zone name")
		}
		_, off := t.Zone()
		return time.FixedZone("UTC"+s, off), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, errors.New("want ±hh:mm or an IANA zone name")
	}
	return loc, nil
}

// KeyFilePath is where the generated secret key lives when none is given.
func (c *Config) KeyFilePath() string {
	if c.SecretKeyFile != "" {
		return c.SecretKeyFile
	}
	if p, ok := strings.CutPrefix(c.DB, "sqlite:"); ok {
		return filepath.Join(filepath.Dir(p), "gatehouse.key")
	}
	return "gatehouse.key"
}

// OneLine flattens an error (possibly joined) into one line.
func OneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
