package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The authorization-code exchange is measured with codes from real
// sign-ins: one browser signs in through the sign-in form, then its
// session cookie asks /authorize for a code again and again (each answer
// a 302 to the redirect URI with a fresh code). Every code is exchanged
// exactly once, as fast as the server allows.

// rawConn is a minimal HTTP/1.1 keep-alive client over one connection.
// It costs far less CPU than net/http's client, which matters when the
// load generator shares two cores with the server it measures.
type rawConn struct {
	addr string
	host string
	c    net.Conn
	br   *bufio.Reader
	req  []byte
	body []byte
}

func newRawConn(base string) (*rawConn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	return &rawConn{addr: u.Host, host: u.Host}, nil
}

func (rc *rawConn) close() {
	if rc.c != nil {
		rc.c.Close()
		rc.c = nil
	}
}

// rawResponse is what rawConn keeps of an answer. body is reused by the
// next request on the same connection.
type rawResponse struct {
	status   int
	location string
	body     []byte
}

// do sends one request (body is form-encoded when not empty) and reads the
// answer. A broken keep-alive connection is redialled once.
func (rc *rawConn) do(method, path, cookie string, body []byte) (rawResponse, error) {
	rc.req = rc.req[:0]
	rc.req = append(rc.req, method...)
	rc.req = append(rc.req, ' ')
	rc.req = append(rc.req, path...)
	rc.req = append(rc.req, " HTTP/1.1\r\nHost: "...)
	rc.req = append(rc.req, rc.host...)
	rc.req = append(rc.req, "\r\nUser-Agent: ghbench\r\n"...)
	if cookie != "" {
		rc.req = append(rc.req, "Cookie: "...)
		rc.req = append(rc.req, cookie...)
		rc.req = append(rc.req, "\r\n"...)
	}
	if method == "POST" {
		rc.req = append(rc.req, "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "...)
		rc.req = strconv.AppendInt(rc.req, int64(len(body)), 10)
		rc.req = append(rc.req, "\r\n"...)
	}
	rc.req = append(rc.req, "\r\n"...)
	rc.req = append(rc.req, body...)
	for attempt := 0; ; attempt++ {
		fresh := rc.c == nil
		if fresh {
			c, err := net.Dial("tcp", rc.addr)
			if err != nil {
				return rawResponse{}, err
			}
			rc.c, rc.br = c, bufio.NewReaderSize(c, 16<<10)
		}
		resp, err := rc.roundTrip()
		if err == nil {
			return resp, nil
		}
		rc.close()
		if fresh || attempt > 0 {
			return rawResponse{}, err
		}
	}
}

func (rc *rawConn) roundTrip() (rawResponse, error) {
	var r rawResponse
	if _, err := rc.c.Write(rc.req); err != nil {
		return r, err
	}
	line, err := rc.br.ReadSlice('\n')
	if err != nil {
		return r, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return r, fmt.Errorf("bad status line %q", line)
	}
	if r.status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return r, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, closing := -1, false, false
	for {
		line, err := rc.br.ReadSlice('\n')
		if err != nil {
			return r, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case asciiEqualFold(k, "content-length"):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return r, fmt.Errorf("bad Content-Length %q", v)
			}
		case asciiEqualFold(k, "transfer-encoding"):
			chunked = asciiEqualFold(v, "chunked")
		case asciiEqualFold(k, "connection"):
			closing = asciiEqualFold(v, "close")
		case asciiEqualFold(k, "location"):
			r.location = string(v)
		}
	}
	rc.body = rc.body[:0]
	switch {
	case chunked:
		for {
			line, err := rc.br.ReadSlice('\n')
			if err != nil {
				return r, err
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
			if err != nil {
				return r, fmt.Errorf("bad chunk size %q", line)
			}
			if n == 0 {
				for { // trailers, then the empty line
					l, err := rc.br.ReadSlice('\n')
					if err != nil {
						return r, err
					}
					if len(bytes.TrimRight(l, "\r\n")) == 0 {
						break
					}
				}
				break
			}
			rc.body = slices.Grow(rc.body, int(n))
			start := len(rc.body)
			rc.body = rc.body[:start+int(n)]
			if _, err := io.ReadFull(rc.br, rc.body[start:]); err != nil {
				return r, err
			}
			if _, err := rc.br.Discard(2); err != nil {
				return r, err
			}
		}
	case length >= 0:
		rc.body = slices.Grow(rc.body, length)[:length]
		if _, err := io.ReadFull(rc.br, rc.body); err != nil {
			return r, err
		}
	default:
		return r, errors.New("response without Content-Length or chunked encoding")
	}
	r.body = rc.body
	if closing {
		rc.close()
	}
	return r, nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// codeApp is a registered application of the code flow.
type codeApp struct {
	clientID, secret, redirect, alg string
}

// pkce is the one verifier every code of a run uses (each code stores its
// own copy of the challenge, so reusing it changes no work).
const pkceVerifier = "ghbench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"

func pkceChallenge() string {
	s := sha256.Sum256([]byte(pkceVerifier))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

func (a *codeApp) authorizePath(state string) string {
	q := url.Values{"client_id": {a.clientID}, "response_type": {"code"}, "redirect_uri": {a.redirect},
		"scope": {"openid profile email"}, "state": {state}, "code_challenge": {pkceChallenge()}, "code_challenge_method": {"S256"}}
	return "/api/v1/oauth2/authorize?" + q.Encode()
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// signIn goes through the real sign-in: /authorize sends the browser to
// the sign-in page, whose form is posted with the user's password; the
// answer resumes the authorization. It returns the session cookie.
func signIn(ctx context.Context, base string, app *codeApp, user, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	br := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return nil, "", err
		}
		resp, err := br.Do(req)
		if err != nil {
			return nil, "", err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b), nil
	}
	resp, _, err := get(base + app.authorizePath("signin"))
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "/api/v1/login") {
		return "", fmt.Errorf("sign-in: /authorize answered %d (Location %q), want 302 to the sign-in page", resp.StatusCode, loc)
	}
	resp, page, err := get(base + loc)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sign-in page: HTTP %d", resp.StatusCode)
	}
	form := url.Values{"username": {user}, "password": {password}}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/login/form", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err = br.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("sign-in form: HTTP %d, want 303", resp.StatusCode)
	}
	if resp, _, err = get(base + resp.Header.Get("Location")); err != nil {
		return "", err
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "code=") {
		return "", fmt.Errorf("resume after sign-in: HTTP %d, Location %q; want a redirect with a code", resp.StatusCode, loc)
	}
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == "gh_session" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", errors.New("sign-in set no gh_session cookie")
}

// mintCodes asks /authorize for n codes with the session cookie, conc
// requests at a time, and writes them to path, one a line.
func mintCodes(ctx context.Context, base, cookie string, app *codeApp, n, conc int, path string) ([]string, time.Duration, error) {
	codes := make([]string, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := newRawConn(base)
			if err != nil {
				once.Do(func() { firstErr = err })
				return
			}
			defer rc.close()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				resp, err := rc.do("GET", app.authorizePath(strconv.Itoa(i)), cookie, nil)
				if err == nil && resp.status != http.StatusFound {
					err = fmt.Errorf("/authorize: HTTP %d: %.200s", resp.status, resp.body)
				}
				var code string
				if err == nil {
					if u, perr := url.Parse(resp.location); perr != nil {
						err = perr
					} else if code = u.Query().Get("code"); code == "" {
						err = fmt.Errorf("/authorize redirected to %q, without a code", resp.location)
					}
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					next.Store(int64(n)) // stop everyone
					return
				}
				codes[i] = code
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if firstErr != nil {
		return nil, took, firstErr
	}
	if err := os.WriteFile(path, []byte(strings.Join(codes, "\n")+"\n"), 0o600); err != nil {
		return nil, took, err
	}
	return codes, took, nil
}

func readCodes(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

// exchangeResult is one run of code exchanges.
type exchangeResult struct {
	n, errs  int
	elapsed  time.Duration
	p50, p99 time.Duration
	firstErr string
}

func (r exchangeResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

// exchangeCodes redeems every code once at /token, conc at a time, and
// checks that each answer carries an ID token.
func exchangeCodes(ctx context.Context, base string, app *codeApp, codes []string, conc int) exchangeResult {
	var next atomic.Int64
	lats := make([][]time.Duration, conc)
	errs := make([]int, conc)
	firstErrs := make([]string, conc)
	prefix := "grant_type=authorization_code&redirect_uri=" + url.QueryEscape(app.redirect) + "&client_id=" + url.QueryEscape(app.clientID) +
		"&client_secret=" + url.QueryEscape(app.secret) + "&code_verifier=" + pkceVerifier + "&code="
	var wg sync.WaitGroup
	start := time.Now()
	var last atomic.Int64
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := newRawConn(base)
			if err != nil {
				firstErrs[w] = err.Error()
				return
			}
			defer rc.close()
			body := make([]byte, 0, len(prefix)+64)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(codes) {
					return
				}
				body = append(append(body[:0], prefix...), url.QueryEscape(codes[i])...)
				t := time.Now()
				resp, err := rc.do("POST", "/api/v1/oauth2/token", "", body)
				done := time.Now()
				if err == nil && (resp.status != http.StatusOK || !bytes.Contains(resp.body, []byte(`"id_token"`))) {
					err = fmt.Errorf("HTTP %d: %.200s", resp.status, resp.body)
				}
				if err != nil {
					errs[w]++
					if firstErrs[w] == "" {
						firstErrs[w] = err.Error()
					}
					continue
				}
				lats[w] = append(lats[w], done.Sub(t))
				for n := done.UnixNano(); ; {
					if old := last.Load(); n <= old || last.CompareAndSwap(old, n) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	var r exchangeResult
	var all []time.Duration
	for w := range conc {
		all = append(all, lats[w]...)
		r.errs += errs[w]
		if r.firstErr == "" {
			r.firstErr = firstErrs[w]
		}
	}
	slices.Sort(all)
	r.n = len(all)
	r.elapsed = time.Unix(0, last.Load()).Sub(start)
	r.p50, r.p99 = percentile(all, 50), percentile(all, 99)
	return r
}
