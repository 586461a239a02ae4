package cas

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// TestLoginKeepsOnlyTicketsHandedOut: a signed-in login stores its
// service ticket with the session's read, ahead of the checks; every
// login that does not hand the ticket out (access refused, second factor
// or new sign-in needed, session idle) leaves no ticket behind, and one
// that does leaves exactly the ticket it handed out.
func TestLoginKeepsOnlyTicketsHandedOut(t *testing.T) {
	for _, b := range sqltest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			store := sqltest.Open(t, b.DSN(t))
			clock := time.Now().UTC()
			now := func() time.Time { return clock }
			tn := &storage.Tenant{ID: "t1", Name: "T1", CreatedAt: clock}
			if err := store.Tenants().Create(ctx, tn); err != nil {
				t.Fatal(err)
			}
			u := &storage.User{TenantID: tn.ID, ID: idgen.New(clock), UserName: "lihua", UserNameKey: "lihua", Name: "Li Hua",
				Profile: json.RawMessage(`{}`), Extension: json.RawMessage(`{}`), CreatedAt: clock, UpdatedAt: clock}
			if err := store.Users().Create(ctx, u); err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			rec := &audit.Recorder{Store: store, Now: now, Log: log}
			registry := &apps.Applications{Store: store, Audit: rec, Now: now}
			sealer, err := secret.NewSealer("unit-test-secret-key-0123456789abcdef-0123")
			if err != nil {
				t.Fatal(err)
			}
			sessions := &authn.Sessions{Store: store, Now: now, Idle: time.Hour, Absolute: 8 * time.Hour}
			pages, err := web.NewPages()
			if err != nil {
				t.Fatal(err)
			}
			s := &Server{Store: store, Apps: registry, Sessions: sessions, Sealer: sealer, Audit: rec, Pages: pages, Log: log, Now: now}
			registry.OnChange = s.ApplicationChanged
			register := func(js string) {
				var w apps.AppWrite
				if err := json.Unmarshal([]byte(js), &w); err != nil {
					t.Fatal(err)
				}
				if _, err := registry.Register(ctx, tn.ID, audit.System, &w); err != nil {
					t.Fatal(err)
				}
			}
			register(`{"name":"Wiki","protocol":"cas","cas":{"service_patterns":["https://wiki.example.com/*"]}}`)
			register(`{"name":"Payroll","protocol":"cas","access_policy":"authorized","cas":{"service_patterns":["https://payroll.example.com/*"]}}`)
			register(`{"name":"Vault","protocol":"cas","login":{"mfa":"required"},"cas":{"service_patterns":["https://vault.example.com/*"]}}`)
			cookie, _, err := sessions.Create(ctx, tn.ID, u.ID, []string{"pwd"}, "1")
			if err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(time.Second) // the sign-in is not new to the logins below

			login := func(service, extra string) *http.Response {
				t.Helper()
				r := httptest.NewRequest("GET", "/api/v1/cas/login?service="+url.QueryEscape(service)+extra, nil)
				r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: cookie})
				r = r.WithContext(tenant.WithTenant(r.Context(), tn))
				w := httptest.NewRecorder()
				s.login(w, r)
				return w.Result()
			}
			// tickets counts (and removes) the tenant's stored tickets.
			tickets := func() int64 {
				t.Helper()
				n, err := store.CASTickets().DeleteExpired(ctx, clock.Add(24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}

			res := login("https://wiki.example.com/home", "")
			loc, _ := url.Parse(res.Header.Get("Location"))
			st := loc.Query().Get("ticket")
			if res.StatusCode != http.StatusFound || !strings.HasPrefix(st, "ST-") || loc.Host != "wiki.example.com" {
				t.Fatalf("signed-in login: %d %s", res.StatusCode, loc)
			}
			got, err := store.CASTickets().Get(ctx, tn.ID, secret.Hash(st))
			if err != nil || got.UserID != u.ID || got.Service != "https://wiki.example.com/home" || got.NewLogin {
				t.Fatalf("the ticket handed out: %+v, %v", got, err)
			}
			if n := tickets(); n != 1 {
				t.Fatalf("%d tickets after one login, want 1", n)
			}

			for _, c := range []struct {
				what, service, extra string
				status               int
			}{
				{"access refused", "https://payroll.example.com/", "", http.StatusForbidden},
				{"second factor needed", "https://vault.example.com/", "", http.StatusFound},
				{"gateway, second factor needed", "https://vault.example.com/", "&gateway=true", http.StatusFound},
				{"renew", "https://wiki.example.com/", "&renew=true", http.StatusFound},
			} {
				res := login(c.service, c.extra)
				if res.StatusCode != c.status || strings.Contains(res.Header.Get("Location"), "ticket=") {
					t.Errorf("%s: %d %s", c.what, res.StatusCode, res.Header.Get("Location"))
				}
				if n := tickets(); n != 0 {
					t.Errorf("%s: %d tickets left, want none", c.what, n)
				}
			}

			// An idle session: no ticket, the session ended.
			clock = clock.Add(2 * time.Hour)
			if res := login("https://wiki.example.com/", ""); res.StatusCode != http.StatusFound || strings.Contains(res.Header.Get("Location"), "ticket=") {
				t.Errorf("idle session: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			if n := tickets(); n != 0 {
				t.Errorf("idle session: %d tickets left, want none", n)
			}
		})
	}
}
