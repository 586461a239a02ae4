package directory_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// TestDisableAndDeleteEndSessions: disabling a user ends its SSO sessions
// (and tells SessionsEnded which), enabling does not, deleting does.
func TestDisableAndDeleteEndSessions(t *testing.T) {
	users, store, _ := newUsers(t)
	var told [][]string
	users.SessionsEnded = func(_ context.Context, tenantID string, sids []string) {
		if tenantID != "t1" {
			t.Errorf("told about tenant %s", tenantID)
		}
		told = append(told, sids)
	}
	id, err := users.Create(ctx, "t1", audit.System, &directory.UserWrite{UserName: opt.Some("lihua"), Mobile: opt.Some("13800000001")})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	session := func(n byte) *storage.Session {
		s := &storage.Session{TenantID: "t1", IDHash: []byte{n}, SID: string('a' + rune(n)), UserID: id, AuthTime: now, AMR: []string{"pwd"},
			ACR: "1", CreatedAt: now.Add(time.Duration(n) * time.Millisecond), LastSeen: now, ExpiresAt: now.Add(time.Hour)}
		if err := store.Sessions().Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1, s2 := session(1), session(2)
	if err := users.SetDisabled(ctx, "t1", audit.System, id, true); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || !slices.Equal(told[0], []string{s1.SID, s2.SID}) {
		t.Fatalf("disable told %v, want [[%s %s]]", told, s1.SID, s2.SID)
	}
	for _, s := range []*storage.Session{s1, s2} {
		if _, err := store.Sessions().GetByHash(ctx, "t1", s.IDHash); err == nil {
			t.Fatal("a session of the disabled user lives on")
		}
	}
	if err := users.SetDisabled(ctx, "t1", audit.System, id, false); err != nil || len(told) != 1 {
		t.Fatalf("enable: %v, told %v", err, told)
	}
	s3 := session(3)
	if err := users.Delete(ctx, "t1", audit.System, id); err != nil {
		t.Fatal(err)
	}
	if len(told) != 2 || !slices.Equal(told[1], []string{s3.SID}) {
		t.Fatalf("delete told %v", told)
	}
	// A user that is not there: an error, no one told.
	if err := users.SetDisabled(ctx, "t1", audit.System, id, true); err == nil || len(told) != 2 {
		t.Fatalf("disable a deleted user: %v, told %v", err, told)
	}
}

// TestListAndEndSessions: the list leaves out expired and idle sessions;
// ending them all reports what was stored and tells SessionsEnded; an
// unknown user is refused.
func TestListAndEndSessions(t *testing.T) {
	users, store, _ := newUsers(t)
	users.SessionIdle = 30 * time.Minute
	var told []string
	users.SessionsEnded = func(_ context.Context, _ string, sids []string) { told = append(told, sids...) }
	id, err := users.Create(ctx, "t1", audit.System, &directory.UserWrite{UserName: opt.Some("lihua"), Mobile: opt.Some("13800000001")})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i, s := range []struct {
		sid           string
		seen, expires time.Time
	}{{"live", now, now.Add(time.Hour)}, {"idle", now.Add(-time.Hour), now.Add(time.Hour)}, {"expired", now, now.Add(-time.Second)}} {
		if err := store.Sessions().Create(ctx, &storage.Session{TenantID: "t1", IDHash: []byte{byte(i)}, SID: s.sid, UserID: id, AuthTime: now,
			AMR: []string{"pwd"}, ACR: "1", CreatedAt: now.Add(time.Duration(i) * time.Millisecond), LastSeen: s.seen, ExpiresAt: s.expires}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := users.ListSessions(ctx, "t1", id)
	if err != nil || len(list) != 1 || list[0].SID != "live" {
		t.Fatalf("list = %+v, %v; want the live one", list, err)
	}
	if n, err := users.EndSessions(ctx, "t1", audit.System, id); err != nil || n != 3 || !slices.Equal(told, []string{"live", "idle", "expired"}) {
		t.Fatalf("end = %d, %v; told %v", n, err, told)
	}
	if list, err := users.ListSessions(ctx, "t1", id); err != nil || len(list) != 0 {
		t.Fatalf("list after = %+v, %v", list, err)
	}
	if _, err := users.ListSessions(ctx, "t1", "20200101000000000-0000-000000000"); !errors.Is(err, directory.ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := users.EndSessions(ctx, "t1", audit.System, "20200101000000000-0000-000000000"); !errors.Is(err, directory.ErrUserNotFound) {
		t.Fatalf("end for an unknown user: %v", err)
	}
}
