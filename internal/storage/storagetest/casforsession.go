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
