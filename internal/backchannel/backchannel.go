// Package backchannel sends the server-to-server notices of back-channel
// single logout (the CAS logoutRequest, the OpenID Connect logout token)
// in the background: each request is tried once, its result logged and
// counted, and a shutdown can wait for the requests in flight.
package backchannel

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Results of one request, as counted.
const (
	OK      = "ok"
	Refused = "refused" // an answer with a status of 300 or more
	Failed  = "failed"  // no answer
)

// Sender sends notices with Client (whose timeout bounds each request).
type Sender struct {
	Client *http.Client
	Log    *slog.Logger
	// Sent, when set, counts each request by protocol and result.
	Sent func(protocol, result string)

	inflight sync.WaitGroup
}

// Go runs fn in the background with a context of its own that ends after
// timeout (not with the request that caused it); the channel is closed
// when fn returns.
func (s *Sender) Go(ctx context.Context, timeout time.Duration, fn func(ctx context.Context)) <-chan struct{} {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	done := make(chan struct{})
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		defer close(done)
		defer cancel()
		fn(ctx)
	}()
	return done
}

// Await waits until every channel of done (nil ones count as closed) is
// closed, or max has passed: a logout waits this long for the
// applications to be told before it answers the browser, and leaves the
// slower ones to the background.
func Await(max time.Duration, done ...<-chan struct{}) {
	timer := time.NewTimer(max)
	defer timer.Stop()
	for _, d := range done {
		if d == nil {
			continue
		}
		select {
		case <-d:
		case <-timer.C:
			return
		}
	}
}

// Post POSTs form to target for protocol, and logs (with attrs) and
// counts the result.
func (s *Sender) Post(ctx context.Context, protocol, target string, form url.Values, attrs ...any) string {
	result, status, err := s.post(ctx, target, form)
	switch result {
	case Failed:
		s.Log.WarnContext(ctx, protocol+": back-channel logout: request failed", append(attrs, "url", target, "err", err)...)
	case Refused:
		s.Log.WarnContext(ctx, protocol+": back-channel logout: refused", append(attrs, "url", target, "status", status)...)
	}
	if s.Sent != nil {
		s.Sent(protocol, result)
	}
	return result
}

func (s *Sender) post(ctx context.Context, target string, form url.Values) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return Failed, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.Client.Do(req)
	if err != nil {
		return Failed, 0, err
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		return Refused, res.StatusCode, nil
	}
	return OK, res.StatusCode, nil
}

// Wait waits for the notices in flight, or for ctx to end.
func (s *Sender) Wait(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
