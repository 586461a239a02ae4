package cas

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// TestProxyNeedsALiveProxyApplication: a proxy-granting ticket buys proxy
// tickets only while the application it was issued to is enabled and
// still lists its callback; proxy tickets are 32 characters.
func TestProxyNeedsALiveProxyApplication(t *testing.T) {
	for _, b := range sqltest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			store := sqltest.Open(t, b.DSN(t))
			now := time.Now().UTC()
			tn := &storage.Tenant{ID: "t1", Name: "T1", CreatedAt: now}
			if err := store.Tenants().Create(ctx, tn); err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			registry := &apps.Applications{Store: store, Audit: &audit.Recorder{Store: store, Now: time.Now, Log: log}, Now: time.Now}
			s := &Server{Store: store, Apps: registry, Log: log, Now: time.Now}
			registry.OnChange = s.ApplicationChanged
			write := func(js string) *apps.AppWrite {
				var w apps.AppWrite
				if err := json.Unmarshal([]byte(js), &w); err != nil {
					t.Fatal(err)
				}
				return &w
			}
			wiki, err := registry.Register(ctx, tn.ID, audit.System, write(`{"name":"Wiki","protocol":"cas",
				"cas":{"service_patterns":["https://wiki.example.com/*"],"proxy_callback_patterns":["https://wiki.example.com/pgt"]}}`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := registry.Register(ctx, tn.ID, audit.System, write(`{"name":"Reports","protocol":"cas",
				"cas":{"service_patterns":["https://reports.example.com/api"]}}`)); err != nil {
				t.Fatal(err)
			}
			const pgt = "PGT-test-0123456789"
			if err := store.CASTickets().Create(ctx, &storage.CASTicket{TenantID: tn.ID, Hash: secret.Hash(pgt), Kind: storage.TicketProxyGranting,
				ApplicationID: wiki.ID, Service: "https://wiki.example.com/pgt", UserID: "u1", SID: "s1", AuthTime: now,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			proxy := func(pgt string) map[string]map[string]string {
				t.Helper()
				q := url.Values{"pgt": {pgt}, "targetService": {"https://reports.example.com/api"}, "format": {"JSON"}}
				r := httptest.NewRequest("GET", "/api/v1/cas/proxy?"+q.Encode(), nil)
				r = r.WithContext(tenant.WithTenant(r.Context(), tn))
				w := httptest.NewRecorder()
				s.proxy(w, r)
				var out struct{ ServiceResponse map[string]map[string]string }
				if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
					t.Fatalf("%s", w.Body.Bytes())
				}
				return out.ServiceResponse
			}
			wantFailure := func(what, code string) {
				t.Helper()
				if got := proxy(pgt)["proxyFailure"]; got["code"] != code {
					t.Errorf("%s: %v, want %s", what, got, code)
				}
			}

			if pt := proxy(pgt)["proxySuccess"]["proxyTicket"]; len(pt) != 32 || pt[:3] != "PT-" {
				t.Fatalf("proxy ticket %q, want PT- and 29 characters", pt)
			}
			if got := proxy("PGT-unknown")["proxyFailure"]; got["code"] != InvalidTicket {
				t.Errorf("unknown PGT: %v", got)
			}
			// The callback is no longer registered.
			if _, err := registry.Update(ctx, tn.ID, audit.System, wiki.ID, write(`{"cas":{"proxy_callback_patterns":["https://wiki.example.com/other"]}}`)); err != nil {
				t.Fatal(err)
			}
			wantFailure("callback unregistered", UnauthorizedProxy)
			if _, err := registry.Update(ctx, tn.ID, audit.System, wiki.ID, write(`{"cas":{"proxy_callback_patterns":["https://wiki.example.com/*"]}}`)); err != nil {
				t.Fatal(err)
			}
			if got := proxy(pgt); got["proxySuccess"] == nil {
				t.Errorf("callback registered again (by a prefix): %v", got)
			}
			// The application is disabled.
			if err := registry.SetDisabled(ctx, tn.ID, audit.System, wiki.ID, true); err != nil {
				t.Fatal(err)
			}
			wantFailure("application disabled", UnauthorizedProxy)
		})
	}
}
