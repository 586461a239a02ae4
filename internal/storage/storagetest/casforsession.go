package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// testCASTicketsForSession: CreateForSession reads the session and its
// user as Sessions().GetWithUser does and stores the ticket with the
// session's user, sid and auth time, only for a live session of an
// enabled user of the ticket's tenant; Delete removes one ticket of its
// tenant only.
func testCASTicketsForSession(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	enabled := fullUser(t, s) // disabled, with memberships
	if _, err := s.Users().Update(ctx, "t1", enabled.ID, func(u *storage.User) error { u.Disabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	disabled := newUser("t1", "disabled")
	disabled.Disabled = true
	mustUser(t, s, disabled)
	live := newSession("t1", enabled.ID, 1)
	ofDisabled := newSession("t1", disabled.ID, 2)
	for _, x := range []*storage.Session{live, ofDisabled} {
		if err := s.Sessions().Create(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	ticket := func(tenant string, created time.Time) *storage.CASTicket {
		n++
		return &storage.CASTicket{TenantID: tenant, Hash: []byte(fmt.Sprint("st-", n)), Kind: storage.TicketService,
			ApplicationID: "a", Service: "https://app/", CreatedAt: created, ExpiresAt: created.Add(10 * time.Second)}
	}
	absent := func(what string, tk *storage.CASTicket) {
		t.Helper()
		for _, tenant := range []string{"t1", "t2"} {
			_, err := s.CASTickets().Get(ctx, tenant, tk.Hash)
			wantNotFound(t, what, err)
		}
	}

	for _, orgs := range []bool{false, true} {
		for _, since := range []time.Time{now, now.Add(time.Millisecond)} {
			tk := ticket("t1", now.Add(time.Second))
			sess, u, stored, err := s.CASTickets().CreateForSession(ctx, live.IDHash, tk, since, orgs)
			if err != nil || !stored || fmt.Sprintf("%+v", *sess) != fmt.Sprintf("%+v", *live) {
				t.Fatalf("live session: %+v stored %v, %v\nwant %+v", sess, stored, err, live)
			}
			wantUser(t, s, fmt.Sprint("session's user, orgs ", orgs), u, enabled.ID, orgs)
			wantNew := since.Equal(now)
			if tk.UserID != enabled.ID || tk.SID != live.SID || !tk.AuthTime.Equal(now) || tk.NewLogin != wantNew {
				t.Fatalf("ticket filled as %+v", tk)
			}
			got, err := s.CASTickets().Get(ctx, "t1", tk.Hash)
			if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *tk) {
				t.Fatalf("stored ticket = %+v, %v\nwant %+v", got, err, tk)
			}
		}
	}

	// Another tenant's session, an unknown one: not found, nothing stored.
	tk := ticket("t2", now.Add(time.Second))
	_, _, _, err := s.CASTickets().CreateForSession(ctx, live.IDHash, tk, now, false)
	wantNotFound(t, "session of another tenant", err)
	absent("ticket for another tenant's session", tk)
	tk = ticket("t1", now.Add(time.Second))
	_, _, _, err = s.CASTickets().CreateForSession(ctx, []byte("nope"), tk, now, false)
	wantNotFound(t, "unknown session", err)
	absent("ticket for an unknown session", tk)

	// A disabled user, an expired session: read, but no ticket.
	tk = ticket("t1", now.Add(time.Second))
	sess, u, stored, err := s.CASTickets().CreateForSession(ctx, ofDisabled.IDHash, tk, now, false)
	if err != nil || stored || sess.SID != ofDisabled.SID || u == nil || !u.Disabled {
		t.Fatalf("disabled user: %+v %+v stored %v, %v", sess, u, stored, err)
	}
	absent("ticket of a disabled user", tk)
	tk = ticket("t1", live.ExpiresAt)
	sess, u, stored, err = s.CASTickets().CreateForSession(ctx, live.IDHash, tk, now, false)
	if err != nil || stored || sess.SID != live.SID || u == nil {
		t.Fatalf("expired session: %+v %+v stored %v, %v", sess, u, stored, err)
	}
	absent("ticket of an expired session", tk)

	// Delete: one ticket, of its tenant only.
	tk = ticket("t1", now.Add(time.Second))
	if _, _, stored, err := s.CASTickets().CreateForSession(ctx, live.IDHash, tk, now, false); err != nil || !stored {
		t.Fatalf("create: stored %v, %v", stored, err)
	}
	if err := s.CASTickets().Delete(ctx, "t2", tk.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CASTickets().Get(ctx, "t1", tk.Hash); err != nil {
		t.Fatalf("another tenant's Delete removed the ticket: %v", err)
	}
	if err := s.CASTickets().Delete(ctx, "t1", tk.Hash); err != nil {
		t.Fatal(err)
	}
	absent("deleted ticket", tk)

	// Inside a transaction, as outside.
	tk = ticket("t1", now.Add(time.Second))
	err = s.InTx(ctx, func(tx storage.Repos) error {
		_, u, stored, err := tx.CASTickets().CreateForSession(ctx, live.IDHash, tk, now, false)
		if err != nil || !stored || u == nil || u.ID != enabled.ID {
			t.Fatalf("in a transaction: user %+v stored %v, %v", u, stored, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CASTickets().Get(ctx, "t1", tk.Hash); err != nil {
		t.Fatalf("ticket stored in a transaction: %v", err)
	}
}

// testCASLogins: a session's logins are taken once, oldest first, and
// only the tenant's; a second record of a ticket is left alone; expired
// ones are swept.
func testCASLogins(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	login := func(tenant, hash, sid string, created time.Time) *storage.CASLogin {
		l := &storage.CASLogin{TenantID: tenant, TicketHash: []byte(hash), SID: sid, ApplicationID: "a", Service: "https://app/" + hash,
			SealedTicket: []byte("sealed-" + hash), CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
		if err := s.CASLogins().Create(ctx, l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	second := login("t1", "h2", "s1", now.Add(time.Second))
	first := login("t1", "h1", "s1", now)
	login("t1", "h3", "s2", now)
	other := login("t2", "h4", "s1", now)
	// The same ticket again: no error, no second row, the first kept.
	if err := s.CASLogins().Create(ctx, &storage.CASLogin{TenantID: "t1", TicketHash: []byte("h1"), SID: "s1", ApplicationID: "b",
		Service: "https://other/", SealedTicket: []byte("x"), CreatedAt: now, ExpiresAt: now}); err != nil {
		t.Fatal(err)
	}
	got, err := s.CASLogins().TakeForSession(ctx, "t1", "s1")
	if err != nil || len(got) != 2 || fmt.Sprintf("%+v", got[0]) != fmt.Sprintf("%+v", *first) || fmt.Sprintf("%+v", got[1]) != fmt.Sprintf("%+v", *second) {
		t.Fatalf("take = %+v, %v\nwant %+v, %+v", got, err, first, second)
	}
	if again, err := s.CASLogins().TakeForSession(ctx, "t1", "s1"); err != nil || len(again) != 0 {
		t.Fatalf("taken twice: %+v, %v", again, err)
	}
	if got, err := s.CASLogins().TakeForSession(ctx, "t2", "s1"); err != nil || len(got) != 1 || string(got[0].TicketHash) != string(other.TicketHash) {
		t.Fatalf("the other tenant's login: %+v, %v", got, err)
	}
	if n, err := s.CASLogins().DeleteExpired(ctx, now.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("swept %d, %v; want the one left", n, err)
	}
}

// testOIDCLogins: one row per session and application (the first kept),
// taken once, oldest first, and only the tenant's; expired ones swept.
func testOIDCLogins(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	login := func(tenant, sid, app, sub string, created time.Time) *storage.OIDCLogin {
		l := &storage.OIDCLogin{TenantID: tenant, SID: sid, ApplicationID: app, Subject: sub, CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
		if err := s.OIDCLogins().Create(ctx, l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	second := login("t1", "s1", "b", "u1", now.Add(time.Second))
	first := login("t1", "s1", "a", "u1", now)
	login("t1", "s1", "a", "other", now.Add(time.Minute)) // the same session and application: left alone
	login("t1", "s2", "a", "u1", now)
	login("t2", "s3", "a", "u9", now)
	got, err := s.OIDCLogins().TakeForSession(ctx, "t1", "s1")
	if err != nil || len(got) != 2 || fmt.Sprintf("%+v", got[0]) != fmt.Sprintf("%+v", *first) || fmt.Sprintf("%+v", got[1]) != fmt.Sprintf("%+v", *second) {
		t.Fatalf("take = %+v, %v\nwant %+v, %+v", got, err, first, second)
	}
	if again, err := s.OIDCLogins().TakeForSession(ctx, "t1", "s1"); err != nil || len(again) != 0 {
		t.Fatalf("taken twice: %+v, %v", again, err)
	}
	if other, err := s.OIDCLogins().TakeForSession(ctx, "t2", "s2"); err != nil || len(other) != 0 {
		t.Fatalf("another tenant's session: %+v, %v", other, err)
	}
	if n, err := s.OIDCLogins().DeleteExpired(ctx, now.Add(2*time.Hour)); err != nil || n != 2 {
		t.Fatalf("swept %d, %v; want the two left", n, err)
	}
}

// testSAMLArtifacts: an artifact's message is taken once, by its tenant
// only; expired ones are swept.
func testSAMLArtifacts(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	a := &storage.SAMLArtifact{TenantID: "t1", HandleHash: []byte("h1"), ApplicationID: "app", SealedMessage: []byte("sealed"), ExpiresAt: now.Add(time.Minute)}
	if err := s.SAMLArtifacts().Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	_, err := s.SAMLArtifacts().Take(ctx, "t2", a.HandleHash)
	wantNotFound(t, "another tenant's artifact", err)
	got, err := s.SAMLArtifacts().Take(ctx, "t1", a.HandleHash)
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *a) {
		t.Fatalf("take = %+v, %v\nwant %+v", got, err, a)
	}
	_, err = s.SAMLArtifacts().Take(ctx, "t1", a.HandleHash)
	wantNotFound(t, "an artifact taken twice", err)
	old := &storage.SAMLArtifact{TenantID: "t1", HandleHash: []byte("h2"), ApplicationID: "app", SealedMessage: []byte("x"), ExpiresAt: now}
	if err := s.SAMLArtifacts().Create(ctx, old); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SAMLArtifacts().DeleteExpired(ctx, now.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("swept %d, %v", n, err)
	}
}
