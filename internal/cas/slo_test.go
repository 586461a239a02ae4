package cas

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/backchannel"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// TestSingleLogoutIsWaitedFor: a shutdown that waits for the notices
// (backchannel.Sender.Wait) returns only once the logout requests in
// flight have been answered (or its context ends), and counts them.
func TestSingleLogoutIsWaitedFor(t *testing.T) {
	ctx := context.Background()
	store := sqltest.Open(t, sqltest.SQLiteDSN(t))
	now := time.Now().UTC()
	if err := store.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "T1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var answered atomic.Int32
	release := make(chan struct{})
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		answered.Add(1)
	}))
	defer rp.Close()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	registry := &apps.Applications{Store: store, Audit: &audit.Recorder{Store: store, Now: time.Now, Log: log}, Now: time.Now}
	sealer, err := secret.NewSealer("unit-test-secret-key-0123456789abcdef-0123")
	if err != nil {
		t.Fatal(err)
	}
	var counted atomic.Int32
	notices := &backchannel.Sender{Client: rp.Client(), Log: log, Sent: func(protocol, result string) {
		if protocol == "cas" && result == backchannel.OK {
			counted.Add(1)
		}
	}}
	s := &Server{Store: store, Apps: registry, Sealer: sealer, Log: log, Now: time.Now, Notices: notices}
	registry.OnChange = s.ApplicationChanged
	var w apps.AppWrite
	json.Unmarshal([]byte(`{"name":"Wiki","protocol":"cas","cas":{"service_patterns":["`+rp.URL+`/*"],"logout_type":"back_channel"}}`), &w)
	app, err := registry.Register(ctx, "t1", audit.System, &w)
	if err != nil {
		t.Fatal(err)
	}
	for i, tk := range []string{"ST-one", "ST-two"} {
		if err := store.CASLogins().Create(ctx, &storage.CASLogin{TenantID: "t1", TicketHash: secret.Hash(tk), SID: "s1", ApplicationID: app.ID,
			Service: rp.URL + "/home", SealedTicket: sealer.Seal([]byte(tk), sloContext), CreatedAt: now.Add(time.Duration(i)), ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	s.SingleLogout(ctx, "t1", "s1")

	// A wait that ends first returns without them.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	notices.Wait(short)
	cancel()
	if n := answered.Load(); n != 0 {
		t.Fatalf("%d answered before the receiver was released", n)
	}
	close(release)
	notices.Wait(ctx)
	if a, c := answered.Load(), counted.Load(); a != 2 || c != 2 {
		t.Fatalf("after Wait: %d answered, %d counted; want 2 and 2", a, c)
	}
}
