package backchannel

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// TestPostResults: a form POST, counted ok, refused (300 or more) or
// failed (no answer) under its protocol.
func TestPostResults(t *testing.T) {
	var mu sync.Mutex
	var forms []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		forms = append(forms, r.PostForm)
		mu.Unlock()
		if r.URL.Path == "/no" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	counted := map[string]int{}
	s := &Sender{Client: srv.Client(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sent: func(protocol, result string) { counted[protocol+" "+result]++ }}
	ctx := context.Background()
	for _, tc := range []struct{ url, want string }{{srv.URL + "/yes", OK}, {srv.URL + "/no", Refused}, {gone.URL, Failed}, {"::bad", Failed}} {
		if got := s.Post(ctx, "oidc", tc.url, url.Values{"logout_token": {"t"}}); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.url, got, tc.want)
		}
	}
	if counted["oidc ok"] != 1 || counted["oidc refused"] != 1 || counted["oidc failed"] != 2 {
		t.Errorf("counted %v", counted)
	}
	if len(forms) != 2 || forms[0].Get("logout_token") != "t" {
		t.Errorf("forms %v", forms)
	}
}

// TestGoAndWait: Go outlives its request's context, within its timeout;
// Wait waits for it, or for its own context.
func TestGoAndWait(t *testing.T) {
	s := &Sender{}
	req, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	var ran, expired bool
	s.Go(req, time.Minute, func(ctx context.Context) {
		<-release
		ran, expired = true, ctx.Err() != nil
	})
	cancel() // the request ends; the notice goes on
	short, stop := context.WithTimeout(context.Background(), 20*time.Millisecond)
	s.Wait(short)
	stop()
	close(release)
	s.Wait(context.Background())
	if !ran || expired {
		t.Fatalf("ran %v, its context ended %v", ran, expired)
	}
}

// TestAwait: it returns when every channel is closed (nil ones count as
// closed), or once max has passed.
func TestAwait(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	start := time.Now()
	Await(time.Minute, closed, nil, closed)
	if time.Since(start) > 10*time.Second {
		t.Fatal("Await waited for closed channels")
	}
	open := make(chan struct{})
	start = time.Now()
	Await(30*time.Millisecond, closed, open)
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("Await returned before max with a channel open")
	}
	s := &Sender{}
	release := make(chan struct{})
	done := s.Go(context.Background(), time.Minute, func(context.Context) { <-release })
	select {
	case <-done:
		t.Fatal("done before fn returned")
	default:
	}
	close(release)
	<-done
}
