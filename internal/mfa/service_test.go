package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

type fixture struct {
	svc   *TOTP
	store storage.Store
	clock *time.Time
	user  string
}

func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	store := sqltest.Open(t, sqltest.SQLiteDSN(t))
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	sealer, err := secret.NewSealer("unit-test-secret-key-0123456789abcdef-0123")
	if err != nil {
		t.Fatal(err)
	}
	store.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "t1", CreatedAt: now()})
	u := &storage.User{TenantID: "t1", ID: "u1", UserName: "jane", UserNameKey: "jane", Name: "Jane",
		Profile: json.RawMessage(`{}`), Extension: json.RawMessage(`{}`), CreatedAt: now(), UpdatedAt: now()}
	if err := store.Users().Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	u2 := *u
	u2.ID, u2.UserName, u2.UserNameKey = "u2", "joe", "joe"
	if err := store.Users().Create(ctx, &u2); err != nil {
		t.Fatal(err)
	}
	return &fixture{store: store, clock: &clock, user: "u1", svc: &TOTP{Store: store, Sealer: sealer, Now: func() time.Time { return clock },
		Audit: &audit.Recorder{Store: store, Now: func() time.Time { return clock }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}}
}

// code is what the user's authenticator shows for the enrolment's secret.
func (f *fixture) code(t *testing.T, e *Enrolment, offset time.Duration) string {
	raw, err := b32.DecodeString(e.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return Code(raw, Step(f.clock.Add(offset)), Digits)
}

func TestEnrolVerifyReplayRemove(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := audit.Actor{SourceIP: "192.0.2.1"}
	if c, err := f.svc.Confirmed(ctx, "t1", f.user); c != nil || err != nil {
		t.Fatalf("confirmed before enrolment = %v, %v", c, err)
	}
	c, err := f.svc.StartEnrolment(ctx, "t1", f.user)
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.Show(ctx, "t1", f.user, c.ID, "Acme", "jane")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URI, "otpauth://totp/Acme:jane?") || !strings.Contains(e.URI, "secret="+e.Secret) {
		t.Fatalf("uri %s", e.URI)
	}
	if strings.Contains(string(c.Secret), e.Secret) {
		t.Fatal("the secret is stored in the clear")
	}
	// Another user cannot see or use the enrolment.
	if _, err := f.svc.Show(ctx, "t1", "u2", c.ID, "Acme", "x"); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("foreign show: %v", err)
	}
	if err := f.svc.Verify(ctx, "t1", f.user, c.ID, "000000", 0, a); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if err := f.svc.Verify(ctx, "t1", f.user, c.ID, f.code(t, e, 0), 0, a); err != nil {
		t.Fatalf("first code: %v", err)
	}
	if got, _ := f.svc.Confirmed(ctx, "t1", f.user); got == nil || got.ID != c.ID {
		t.Fatalf("confirmed = %+v", got)
	}
	if _, err := f.svc.Show(ctx, "t1", f.user, c.ID, "Acme", "jane"); err == nil {
		t.Fatal("a confirmed secret was shown again")
	}
	// The same code again is a replay; so is the previous step's.
	if err := f.svc.Verify(ctx, "t1", f.user, c.ID, f.code(t, e, 0), 2, a); !errors.Is(err, ErrReplayedCode) {
		t.Fatalf("replay: %v", err)
	}
	if err := f.svc.Verify(ctx, "t1", f.user, c.ID, f.code(t, e, -30*time.Second), 2, a); !errors.Is(err, ErrReplayedCode) {
		t.Fatalf("earlier step: %v", err)
	}
	// 30 s later the next code works.
	*f.clock = f.clock.Add(30 * time.Second)
	if err := f.svc.Verify(ctx, "t1", f.user, c.ID, f.code(t, e, 0), 2, a); err != nil {
		t.Fatalf("next code: %v", err)
	}
	if err := f.svc.Remove(ctx, "t1", "u2", c.ID, audit.System); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("remove through another user: %v", err)
	}
	if err := f.svc.Remove(ctx, "t1", f.user, c.ID, audit.System); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Confirmed(ctx, "t1", f.user); got != nil {
		t.Fatal("removed credential still confirmed")
	}

	// Audit: enrolment, refusals, verification and removal, no secret or code.
	evs, err := f.store.Audit().List(ctx, "t1", storage.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if strings.HasPrefix(ev.Action, "mfa.") {
			got = append(got, ev.Action+":"+ev.Result+":"+ev.Detail)
		}
		if strings.Contains(ev.Detail, e.Secret) {
			t.Fatal("an event holds the secret")
		}
	}
	want := []string{"mfa.enrol:failure:MFA.0001", "mfa.enrol:success:", "mfa.verify:failure:MFA.0002",
		"mfa.verify:failure:MFA.0002", "mfa.verify:success:", "mfa.remove:failure:MFA.0004", "mfa.remove:success:" + c.ID}
	if strings.Join(sortedCopy(got), ",") != strings.Join(sortedCopy(want), ",") {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
}

func TestAttemptsPerPendingSignIn(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c, _ := f.svc.StartEnrolment(ctx, "t1", f.user)
	e, _ := f.svc.Show(ctx, "t1", f.user, c.ID, "Acme", "jane")
	for i := 1; i < MaxAttempts; i++ {
		if err := f.svc.Verify(ctx, "t1", f.user, c.ID, "000000", 0, audit.Actor{}); !errors.Is(err, ErrWrongCode) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	if err := f.svc.Verify(ctx, "t1", f.user, c.ID, "000000", 0, audit.Actor{}); !errors.Is(err, ErrTooMany) {
		t.Fatalf("fifth wrong code: %v", err)
	}
	// Even the right code is refused to that pending sign-in now...
	if err := f.svc.Verify(ctx, "t1", f.user, c.ID, f.code(t, e, 0), 0, audit.Actor{}); !errors.Is(err, ErrTooMany) {
		t.Fatalf("right code after the limit: %v", err)
	}
	// ...and a new one (starting at the current count) may try again.
	got, _ := f.store.MFACredentials().Get(ctx, "t1", c.ID)
	if err := f.svc.Verify(ctx, "t1", f.user, c.ID, f.code(t, e, 0), got.Attempts, audit.Actor{}); err != nil {
		t.Fatalf("new pending sign-in: %v", err)
	}
}

// TestAdminReset: what the management API's reset of a lost authenticator
// uses. Unknown users are USER.0001 (another tenant's too), another user's
// credential MFA.0004; RemoveAll takes enrolments in progress as well; every
// removal is audited with the administrator as the actor.
func TestAdminReset(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	admin := audit.Actor{Type: audit.ActorAPIClient, ID: "admin-client"}
	if list, err := f.svc.Credentials(ctx, "t1", f.user); err != nil || len(list) != 0 {
		t.Fatalf("before enrolment: %v %v", list, err)
	}
	c, _ := f.svc.StartEnrolment(ctx, "t1", f.user)
	e, _ := f.svc.Show(ctx, "t1", f.user, c.ID, "Acme", "jane")
	if err := f.svc.Verify(ctx, "t1", f.user, c.ID, f.code(t, e, 0), 0, audit.Actor{}); err != nil {
		t.Fatal(err)
	}
	pending, _ := f.svc.StartEnrolment(ctx, "t1", f.user)
	list, err := f.svc.Credentials(ctx, "t1", f.user)
	if err != nil || len(list) != 2 || !list[0].Confirmed || list[1].Confirmed {
		t.Fatalf("credentials: %+v %v", list, err)
	}
	if lu := LastUsed(&list[0]); lu == nil || !lu.Equal(time.Unix(Step(*f.clock)*30, 0)) {
		t.Errorf("last used %v", lu)
	}
	if LastUsed(&list[1]) != nil {
		t.Error("an enrolment in progress has a last use")
	}
	for _, tc := range []struct{ tenant, user, id string }{{"t1", "nobody", c.ID}, {"t2", f.user, c.ID}} {
		if _, err := f.svc.Credentials(ctx, tc.tenant, tc.user); !errors.Is(err, directory.ErrUserNotFound) {
			t.Errorf("list %v: %v", tc, err)
		}
		if err := f.svc.Remove(ctx, tc.tenant, tc.user, tc.id, admin); !errors.Is(err, directory.ErrUserNotFound) {
			t.Errorf("remove %v: %v", tc, err)
		}
		if _, err := f.svc.RemoveAll(ctx, tc.tenant, tc.user, admin); !errors.Is(err, directory.ErrUserNotFound) {
			t.Errorf("remove all %v: %v", tc, err)
		}
	}
	if err := f.svc.Remove(ctx, "t1", f.user, "unknown", admin); !errors.Is(err, ErrNoCredential) {
		t.Errorf("remove an unknown credential: %v", err)
	}
	if n, err := f.svc.RemoveAll(ctx, "t1", f.user, admin); n != 2 || err != nil {
		t.Fatalf("remove all: %d %v", n, err)
	}
	if n, err := f.svc.RemoveAll(ctx, "t1", f.user, admin); n != 0 || err != nil {
		t.Fatalf("remove all again: %d %v", n, err)
	}
	if got, _ := f.svc.Confirmed(ctx, "t1", f.user); got != nil {
		t.Fatal("a removed credential is still confirmed")
	}
	evs, _ := f.store.Audit().List(ctx, "t1", storage.AuditFilter{Limit: 100})
	var got []string
	for _, ev := range evs {
		if ev.Action == ActionRemove && ev.ActorID == admin.ID {
			got = append(got, ev.TargetID+":"+ev.Result+":"+ev.Detail)
		}
	}
	want := []string{"nobody:failure:USER.0001", "nobody:failure:USER.0001", "u1:failure:MFA.0004", "u1:success:" + c.ID, "u1:success:" + pending.ID}
	if strings.Join(sortedCopy(got), ",") != strings.Join(sortedCopy(want), ",") {
		t.Errorf("events by the administrator\n got %v\nwant %v", got, want)
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
