package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestFetcherErrors: the fetcher's errors end a sentence the caller
// writes ("The saml.metadata_url could not be read: HTTP status 404."), so
// they have no final period and name what went wrong.
func TestFetcherErrors(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("<x/>"))
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2<<10)))
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	defer close(release)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	fetch := fetcher(&http.Client{Timeout: 200 * time.Millisecond, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}})
	if b, err := fetch(context.Background(), srv.URL+"/ok", 1<<10); err != nil || string(b) != "<x/>" {
		t.Fatalf("ok: %q %v", b, err)
	}
	for _, c := range []struct{ url, want string }{
		{srv.URL + "/nope", "HTTP status 404"},
		{srv.URL + "/moved", "HTTP status 302"},
		{srv.URL + "/big", "the document is larger than 1 KiB"},
		{srv.URL + "/slow", "no answer within 200ms"},
		{closed.URL + "/ok", "the request failed"},
		{"http://[::1", "the URL cannot be requested"},
	} {
		_, err := fetch(context.Background(), c.url, 1<<10)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", c.url, err, c.want)
		}
	}
}
