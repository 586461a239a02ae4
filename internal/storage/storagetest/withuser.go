package storagetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// fullUser creates a user of t1 with every field set and two
// memberships, and a user of t2 with the same id (another person).
func fullUser(t *testing.T, s storage.Store) *storage.User {
	t.Helper()
	var orgs []storage.UserOrg
	for i, code := range []string{"HQ", "RND"} {
		o := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: code, Name: code, Category: "department", CreatedAt: now, UpdatedAt: now}
		if err := s.Orgs().Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, storage.UserOrg{OrgID: o.ID, RelationType: i})
	}
	u := newUser("t1", "lihua")
	u.Mobile, u.MobileKey = "+86-13800001111", "+8613800001111"
	u.Email, u.EmailKey = "LiHua@Example.com", "lihua@example.com"
	u.EmployeeID, u.ExternalID = "E1", "X1"
	u.FirstName, u.MiddleName, u.LastName = "Hua", "M", "Li"
	u.Profile = json.RawMessage(`{"attr_gender":"male"}`)
	u.Extension = json.RawMessage(`{"cost_center":"C-17"}`)
	u.PasswordHash, u.PwdChangedAt, u.Grade, u.Disabled = "$argon2id$x", now.Add(time.Minute), 3, true
	u.HomeOrgID, u.Orgs = orgs[0].OrgID, orgs
	mustUser(t, s, u)
	twin := newUser("t2", "twin")
	twin.ID = u.ID
	mustUser(t, s, twin)
	return u
}

// wantUser compares a user read with another read with what the user
// repository reads: without memberships or (orgs) with them.
func wantUser(t *testing.T, s storage.Store, what string, got *storage.User, id string, orgs bool) {
	t.Helper()
	get := s.Users().GetWithoutOrgs
	if orgs {
		get = s.Users().Get
	}
	want, err := get(ctx, "t1", id)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) {
		t.Fatalf("%s: user = %+v\nwant %+v", what, got, want)
	}
}

// testSessionsWithUser: GetWithUser reads the session as GetByHash does and
// its user as GetWithoutOrgs (Get with orgs) does; never another tenant's session, nor another tenant's user of the
// same id.
func testSessionsWithUser(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	u := fullUser(t, s)
	sess := newSession("t1", u.ID, 1)
	if err := s.Sessions().Create(ctx, sess); err != nil {
		t.Fatal(err)
	}
	for _, orgs := range []bool{false, true} {
		got, gu, err := s.Sessions().GetWithUser(ctx, "t1", sess.IDHash, orgs)
		if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *sess) {
			t.Fatalf("orgs %v: session = %+v, %v\nwant %+v", orgs, got, err, sess)
		}
		wantUser(t, s, fmt.Sprint("session's user, orgs ", orgs), gu, u.ID, orgs)
		if len(gu.Orgs) != map[bool]int{false: 0, true: 2}[orgs] {
			t.Fatalf("orgs %v: memberships %+v", orgs, gu.Orgs)
		}
		_, _, err = s.Sessions().GetWithUser(ctx, "t2", sess.IDHash, orgs)
		wantNotFound(t, "session from another tenant", err)
		_, _, err = s.Sessions().GetWithUser(ctx, "t1", []byte("nope"), orgs)
		wantNotFound(t, "unknown session", err)
	}
	// Deleting the user ends its sessions (the same id lives on in t2).
	if err := s.Users().Delete(ctx, "t1", u.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Sessions().GetWithUser(ctx, "t1", sess.IDHash, false)
	wantNotFound(t, "session of a deleted user", err)
}

// testCASTicketsWithUser: ConsumeWithUser answers as Consume, and returns
// the user of a ticket it consumed (as GetWithoutOrgs, or Get with orgs,
// reads it), nil for a ticket used already, a proxy-granting ticket or a
// user that is gone; never another tenant's user of the same id.
func testCASTicketsWithUser(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	u := fullUser(t, s)
	ticket := func(hash, userID string, kind string) *storage.CASTicket {
		tk := &storage.CASTicket{TenantID: "t1", Hash: []byte(hash), Kind: kind, ApplicationID: "a", Service: "https://app/",
			UserID: userID, SID: "s1", AuthTime: now, NewLogin: true, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
		if kind == storage.TicketProxy {
			tk.Proxies, tk.PGTHash = []string{"https://p1/cb", "https://p0/cb"}, []byte("pgt")
		}
		if err := s.CASTickets().Create(ctx, tk); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	for _, orgs := range []bool{false, true} {
		st := ticket(fmt.Sprint("st-", orgs), u.ID, storage.TicketService)
		_, _, err := s.CASTickets().ConsumeWithUser(ctx, "t2", st.Hash, now, orgs)
		wantNotFound(t, "ticket from another tenant", err)
		_, _, err = s.CASTickets().ConsumeWithUser(ctx, "t1", []byte("nope"), now, orgs)
		wantNotFound(t, "unknown ticket", err)

		// Concurrent validations: exactly one sees the ticket unused, with its user.
		const n = 8
		var wg sync.WaitGroup
		tks := make([]*storage.CASTicket, n)
		users := make([]*storage.User, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tks[i], users[i], errs[i] = s.CASTickets().ConsumeWithUser(ctx, "t1", st.Hash, now.Add(time.Second), orgs)
			}()
		}
		wg.Wait()
		first := 0
		for i := range n {
			switch {
			case errs[i] != nil:
				t.Fatalf("consume: %v", errs[i])
			case tks[i].UsedAt.IsZero():
				first++
				if fmt.Sprintf("%+v", *tks[i]) != fmt.Sprintf("%+v", *st) {
					t.Fatalf("first consume = %+v\nwant %+v", tks[i], st)
				}
				wantUser(t, s, fmt.Sprint("user of the first consume, orgs ", orgs), users[i], u.ID, orgs)
			case !tks[i].UsedAt.Equal(now.Add(time.Second)) || users[i] != nil:
				t.Fatalf("replay = %+v, user %+v", tks[i], users[i])
			}
		}
		if first != 1 {
			t.Fatalf("%d validations saw the ticket unused, want exactly 1", first)
		}
		pt := ticket(fmt.Sprint("pt-", orgs), u.ID, storage.TicketProxy)
		got, gu, err := s.CASTickets().ConsumeWithUser(ctx, "t1", pt.Hash, now, orgs)
		if err != nil || !got.UsedAt.IsZero() || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *pt) {
			t.Fatalf("proxy ticket = %+v, %v\nwant %+v", got, err, pt)
		}
		wantUser(t, s, "user of a proxy ticket", gu, u.ID, orgs)
		// A proxy-granting ticket is never consumed.
		pgt := ticket(fmt.Sprint("pgt-", orgs), u.ID, storage.TicketProxyGranting)
		if got, gu, err := s.CASTickets().ConsumeWithUser(ctx, "t1", pgt.Hash, now, orgs); err != nil || !got.UsedAt.IsZero() || gu != nil {
			t.Fatalf("proxy-granting ticket = %+v, user %+v, %v", got, gu, err)
		}
		if got, err := s.CASTickets().Get(ctx, "t1", pgt.Hash); err != nil || !got.UsedAt.IsZero() {
			t.Fatalf("proxy-granting ticket after ConsumeWithUser = %+v, %v", got, err)
		}
		// A ticket whose user is gone is spent all the same, without a user.
		gone := ticket(fmt.Sprint("gone-", orgs), "20200101000000000-0000-000000000", storage.TicketService)
		got, gu, err = s.CASTickets().ConsumeWithUser(ctx, "t1", gone.Hash, now, orgs)
		if err != nil || !got.UsedAt.IsZero() || gu != nil {
			t.Fatalf("ticket of a missing user = %+v, user %+v, %v", got, gu, err)
		}
		if got, gu, err := s.CASTickets().ConsumeWithUser(ctx, "t1", gone.Hash, now, orgs); err != nil || got.UsedAt.IsZero() || gu != nil {
			t.Fatalf("its replay = %+v, user %+v, %v", got, gu, err)
		}
	}
	// Inside a transaction, as outside.
	st := ticket("st-tx", u.ID, storage.TicketService)
	err := s.InTx(ctx, func(tx storage.Repos) error {
		got, gu, err := tx.CASTickets().ConsumeWithUser(ctx, "t1", st.Hash, now, false)
		if err != nil || !got.UsedAt.IsZero() || gu == nil || gu.ID != u.ID {
			t.Fatalf("in a transaction: %+v, user %+v, %v", got, gu, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
