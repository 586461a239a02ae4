package storagetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

func newSession(tenant, userID string, hash byte) *storage.Session {
	return &storage.Session{TenantID: tenant, IDHash: []byte{hash, 1}, SID: fmt.Sprint("sid-", tenant, hash), UserID: userID,
		AuthTime: now, AMR: []string{"pwd"}, ACR: "1", CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour)}
}

func testSessions(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	u := mustUser(t, s, newUser("t1", "a"))
	sess := newSession("t1", u.ID, 1)
	if err := s.Sessions().Create(ctx, sess); err != nil {
		t.Fatal(err)
	}
	got, err := s.Sessions().GetByHash(ctx, "t1", sess.IDHash)
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *sess) {
		t.Fatalf("get = %+v, %v\nwant %+v", got, err, sess)
	}
	_, err = s.Sessions().GetByHash(ctx, "t2", sess.IDHash)
	wantNotFound(t, "session from another tenant", err)
	if err := s.Sessions().Touch(ctx, "t1", sess.IDHash, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, "touch from another tenant", s.Sessions().Touch(ctx, "t2", sess.IDHash, now))
	if got, _ := s.Sessions().GetByHash(ctx, "t1", sess.IDHash); !got.LastSeen.Equal(now.Add(time.Minute)) {
		t.Fatalf("last seen = %v", got.LastSeen)
	}
	// A step-up (second factor) moves the session to a new cookie hash
	// with its new methods, keeping its SID; another tenant cannot.
	wantNotFound(t, "step-up from another tenant", s.Sessions().StepUp(ctx, "t2", sess.IDHash, []byte{9, 9}, now, []string{"x"}, "9"))
	if err := s.Sessions().StepUp(ctx, "t1", sess.IDHash, []byte{9, 1}, now.Add(2*time.Minute), []string{"pwd", "otp", "mfa"}, "2"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Sessions().GetByHash(ctx, "t1", sess.IDHash)
	wantNotFound(t, "old cookie after step-up", err)
	up, err := s.Sessions().GetByHash(ctx, "t1", []byte{9, 1})
	if err != nil || up.SID != sess.SID || up.ACR != "2" || fmt.Sprint(up.AMR) != "[pwd otp mfa]" || !up.AuthTime.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("after step-up = %+v, %v", up, err)
	}
	sess.IDHash = []byte{9, 1}
	s2 := newSession("t1", u.ID, 2)
	s3 := newSession("t1", u.ID, 3)
	for _, x := range []*storage.Session{s2, s3} {
		if err := s.Sessions().Create(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	s.Sessions().DeleteBySID(ctx, "t2", s2.SID) // another tenant: no effect
	if _, err := s.Sessions().GetByHash(ctx, "t1", s2.IDHash); err != nil {
		t.Fatal("another tenant deleted a session")
	}
	s.Sessions().DeleteBySID(ctx, "t1", s2.SID)
	_, err = s.Sessions().GetByHash(ctx, "t1", s2.IDHash)
	wantNotFound(t, "deleted by sid", err)
	s.Sessions().Delete(ctx, "t1", s3.IDHash)
	_, err = s.Sessions().GetByHash(ctx, "t1", s3.IDHash)
	wantNotFound(t, "deleted", err)
	stored, err := s.Sessions().GetByHash(ctx, "t1", sess.IDHash)
	if err != nil {
		t.Fatal(err)
	}
	if list, err := s.Sessions().ListForUser(ctx, "t1", u.ID); err != nil || len(list) != 1 || fmt.Sprintf("%+v", list[0]) != fmt.Sprintf("%+v", *stored) {
		t.Fatalf("list for user: %+v, %v\nwant [%+v]", list, err, stored)
	}
	if list, err := s.Sessions().ListForUser(ctx, "t2", u.ID); err != nil || len(list) != 0 {
		t.Fatalf("list for user from another tenant: %+v, %v", list, err)
	}
	if sids, err := s.Sessions().DeleteForUser(ctx, "t1", u.ID); err != nil || len(sids) != 1 || sids[0] != sess.SID {
		t.Fatalf("deleted for user: %v, %v; want [%s]", sids, err, sess.SID)
	}
	_, err = s.Sessions().GetByHash(ctx, "t1", sess.IDHash)
	wantNotFound(t, "deleted for user", err)
	if sids, err := s.Sessions().DeleteForUser(ctx, "t1", u.ID); err != nil || len(sids) != 0 {
		t.Fatalf("deleted for user again: %v, %v", sids, err)
	}

	// Ending a session, however it ends, takes its CAS tickets (a
	// proxy-granting ticket above all), and no one else's.
	for i, end := range []func(x *storage.Session) error{
		func(x *storage.Session) error { return s.Sessions().Delete(ctx, "t1", x.IDHash) },
		func(x *storage.Session) error { return s.Sessions().DeleteBySID(ctx, "t1", x.SID) },
		func(x *storage.Session) error { _, err := s.Sessions().DeleteForUser(ctx, "t1", u.ID); return err },
	} {
		x, other := newSession("t1", u.ID, byte(10+2*i)), newSession("t1", u.ID, byte(11+2*i))
		other.UserID = mustUser(t, s, newUser("t1", fmt.Sprintf("other%d", i))).ID
		for j, sx := range []*storage.Session{x, other} {
			if err := s.Sessions().Create(ctx, sx); err != nil {
				t.Fatal(err)
			}
			pgt := &storage.CASTicket{TenantID: "t1", Hash: []byte(fmt.Sprintf("pgt-%d-%d", i, j)), Kind: storage.TicketProxyGranting,
				ApplicationID: "a", Service: "https://p/cb", UserID: sx.UserID, SID: sx.SID, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := s.CASTickets().Create(ctx, pgt); err != nil {
				t.Fatal(err)
			}
		}
		if err := end(x); err != nil {
			t.Fatal(err)
		}
		_, err := s.CASTickets().Get(ctx, "t1", []byte(fmt.Sprintf("pgt-%d-0", i)))
		wantNotFound(t, fmt.Sprintf("PGT of a session ended by way %d", i), err)
		if _, err := s.CASTickets().Get(ctx, "t1", []byte(fmt.Sprintf("pgt-%d-1", i))); err != nil {
			t.Errorf("way %d took another session's PGT: %v", i, err)
		}
	}
}

func testCodes(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	c := &storage.AuthCode{TenantID: "t1", Hash: []byte("code"), ClientID: "c", UserID: "u", SID: "s", GrantID: "g",
		RedirectURI: "https://app/cb", Scope: "openid email", Nonce: "n", CodeChallenge: "ch", AuthTime: now,
		AMR: []string{"pwd", "otp"}, ACR: "2", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := s.Codes().Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, err := s.Codes().Consume(ctx, "t2", c.Hash, "c", now)
	wantNotFound(t, "consume from another tenant", err)
	// Many concurrent exchanges: exactly one sees the code unused.
	const n = 10
	var wg sync.WaitGroup
	results := make([]*storage.AuthCode, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.Codes().Consume(ctx, "t1", c.Hash, "c", now.Add(time.Second))
		}()
	}
	wg.Wait()
	first := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("consume: %v", errs[i])
		}
		if results[i].UsedAt.IsZero() {
			first++
			if fmt.Sprintf("%+v", *results[i]) != fmt.Sprintf("%+v", *c) {
				t.Fatalf("first consume = %+v\nwant %+v", results[i], c)
			}
		} else if !results[i].UsedAt.Equal(now.Add(time.Second)) || results[i].GrantID != "g" {
			t.Fatalf("replay = %+v", results[i])
		}
	}
	if first != 1 {
		t.Fatalf("%d exchanges saw the code unused, want exactly 1", first)
	}
	_, err = s.Codes().Consume(ctx, "t1", []byte("nope"), "c", now)
	wantNotFound(t, "unknown code", err)
	// Another client's code is unknown to it, and stays untouched.
	fresh := *c
	fresh.Hash = []byte("fresh")
	s.Codes().Create(ctx, &fresh)
	_, err = s.Codes().Consume(ctx, "t1", fresh.Hash, "other-client", now)
	wantNotFound(t, "another client's code", err)
	if got, err := s.Codes().Consume(ctx, "t1", fresh.Hash, "c", now); err != nil || !got.UsedAt.IsZero() {
		t.Fatalf("the code was spent by another client's attempt: %+v %v", got, err)
	}
	old := *c
	old.Hash, old.ExpiresAt = []byte("old"), now.Add(-time.Minute)
	s.Codes().Create(ctx, &old)
	if n, err := s.Codes().DeleteExpired(ctx, now); err != nil || n != 1 {
		t.Fatalf("delete expired = %d, %v", n, err)
	}
	if _, err := s.Codes().Consume(ctx, "t1", c.Hash, "c", now); err != nil {
		t.Fatalf("live code removed by cleanup: %v", err)
	}
}

func testRefreshTokens(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	rt := &storage.RefreshToken{TenantID: "t1", Hash: []byte("r1"), ClientID: "c", UserID: "u", SID: "s", GrantID: "g",
		Scope: "openid", AuthTime: now, AMR: []string{"pwd"}, ACR: "1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.RefreshTokens().Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, "same token", s.RefreshTokens().Create(ctx, rt), "refresh_token")
	_, err := s.RefreshTokens().Consume(ctx, "t2", rt.Hash, "c", now)
	wantNotFound(t, "consume from another tenant", err)
	if got, err := s.RefreshTokens().Get(ctx, "t1", rt.Hash); err != nil || !got.UsedAt.IsZero() || got.GrantID != "g" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	_, err = s.RefreshTokens().Get(ctx, "t2", rt.Hash)
	wantNotFound(t, "get from another tenant", err)
	_, err = s.RefreshTokens().Consume(ctx, "t1", rt.Hash, "other-client", now)
	wantNotFound(t, "another client's refresh token", err)
	got, err := s.RefreshTokens().Consume(ctx, "t1", rt.Hash, "c", now)
	if err != nil || !got.UsedAt.IsZero() || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *rt) {
		t.Fatalf("first use = %+v, %v", got, err)
	}
	got, err = s.RefreshTokens().Consume(ctx, "t1", rt.Hash, "c", now.Add(time.Second))
	if err != nil || !got.UsedAt.Equal(now) {
		t.Fatalf("reuse = %+v, %v; want UsedAt of the first use", got, err)
	}
	next := *rt
	next.Hash = []byte("r2")
	other := *rt
	other.Hash, other.GrantID = []byte("r3"), "g2"
	for _, x := range []*storage.RefreshToken{&next, &other} {
		if err := s.RefreshTokens().Create(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	s.RefreshTokens().DeleteGrant(ctx, "t1", "g")
	_, err = s.RefreshTokens().Consume(ctx, "t1", next.Hash, "c", now)
	wantNotFound(t, "token of a deleted family", err)
	if _, err := s.RefreshTokens().Consume(ctx, "t1", other.Hash, "c", now); err != nil {
		t.Fatalf("other family deleted too: %v", err)
	}
	third := *rt
	third.Hash, third.GrantID = []byte("r4"), "g3"
	s.RefreshTokens().Create(ctx, &third)
	s.RefreshTokens().DeleteForClient(ctx, "t1", "c")
	_, err = s.RefreshTokens().Consume(ctx, "t1", third.Hash, "c", now)
	wantNotFound(t, "token of a deleted client", err)
}

func testConsentsRevocations(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	u := mustUser(t, s, newUser("t1", "a"))
	_, err := s.Consents().Get(ctx, "t1", u.ID, "c")
	wantNotFound(t, "no consent", err)
	if err := s.Consents().Put(ctx, &storage.Consent{TenantID: "t1", UserID: u.ID, ClientID: "c", Scope: "openid", GrantedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.Consents().Put(ctx, &storage.Consent{TenantID: "t1", UserID: u.ID, ClientID: "c", Scope: "openid email", GrantedAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Consents().Get(ctx, "t1", u.ID, "c")
	if err != nil || got.Scope != "openid email" || !got.GrantedAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("consent = %+v, %v", got, err)
	}
	_, err = s.Consents().Get(ctx, "t2", u.ID, "c")
	wantNotFound(t, "consent from another tenant", err)

	if ok, err := s.Revocations().AnyRevoked(ctx, "t1", "g1", "j1"); err != nil || ok {
		t.Fatalf("nothing revoked yet: %v %v", ok, err)
	}
	for range 2 { // revoking twice is fine
		if err := s.Revocations().Revoke(ctx, "t1", "g1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := s.Revocations().AnyRevoked(ctx, "t1", "j1", "g1"); !ok {
		t.Fatal("revoked grant not seen")
	}
	if ok, _ := s.Revocations().AnyRevoked(ctx, "t2", "g1"); ok {
		t.Fatal("revocation crossed tenants")
	}
	if first, err := s.Revocations().Claim(ctx, "t1", "jti-1", now.Add(time.Hour)); err != nil || !first {
		t.Fatalf("first claim = %v, %v", first, err)
	}
	if first, _ := s.Revocations().Claim(ctx, "t1", "jti-1", now.Add(time.Hour)); first {
		t.Fatal("a claimed id was claimed again")
	}
	if first, _ := s.Revocations().Claim(ctx, "t2", "jti-1", now.Add(time.Hour)); !first {
		t.Fatal("a claim crossed tenants")
	}
}

func testUserDeleteOAuth(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	u := mustUser(t, s, newUser("t1", "a"))
	sess := newSession("t1", u.ID, 9)
	s.Sessions().Create(ctx, sess)
	s.Consents().Put(ctx, &storage.Consent{TenantID: "t1", UserID: u.ID, ClientID: "c", Scope: "openid", GrantedAt: now})
	rt := &storage.RefreshToken{TenantID: "t1", Hash: []byte("rt"), ClientID: "c", UserID: u.ID, GrantID: "g", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	s.RefreshTokens().Create(ctx, rt)
	if err := s.Users().Delete(ctx, "t1", u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.Sessions().GetByHash(ctx, "t1", sess.IDHash)
	wantNotFound(t, "session of deleted user", err)
	_, err = s.Consents().Get(ctx, "t1", u.ID, "c")
	wantNotFound(t, "consent of deleted user", err)
	_, err = s.RefreshTokens().Consume(ctx, "t1", rt.Hash, "c", now)
	wantNotFound(t, "refresh token of deleted user", err)
}

func testCASTickets(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	st := &storage.CASTicket{TenantID: "t1", Hash: []byte("st"), Kind: storage.TicketService, ApplicationID: "a", Service: "https://app/",
		UserID: "u", SID: "s1", AuthTime: now, NewLogin: true, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	pt := *st
	pt.Hash, pt.Kind, pt.Proxies, pt.PGTHash, pt.NewLogin = []byte("pt"), storage.TicketProxy, []string{"https://p1/cb", "https://p0/cb"}, []byte("pgt"), false
	pgt := *st
	pgt.Hash, pgt.Kind, pgt.Service = []byte("pgt"), storage.TicketProxyGranting, "https://p1/cb"
	for _, x := range []*storage.CASTicket{st, &pt, &pgt} {
		if err := s.CASTickets().Create(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.CASTickets().Consume(ctx, "t2", st.Hash, now)
	wantNotFound(t, "ticket from another tenant", err)
	got, err := s.CASTickets().Consume(ctx, "t1", st.Hash, now)
	if err != nil || !got.UsedAt.IsZero() || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *st) {
		t.Fatalf("first use = %+v %v", got, err)
	}
	if again, _ := s.CASTickets().Consume(ctx, "t1", st.Hash, now); again == nil || again.UsedAt.IsZero() {
		t.Fatal("a service ticket was used twice")
	}
	if got, _ := s.CASTickets().Consume(ctx, "t1", pt.Hash, now); len(got.Proxies) != 2 || got.Proxies[0] != "https://p1/cb" || string(got.PGTHash) != "pgt" {
		t.Fatalf("proxy ticket = %+v", got)
	}
	// A proxy-granting ticket is never consumed, only read.
	if got, _ := s.CASTickets().Consume(ctx, "t1", pgt.Hash, now); got == nil || !got.UsedAt.IsZero() {
		t.Fatal("a proxy-granting ticket was consumed")
	}
	if got, err := s.CASTickets().Get(ctx, "t1", pgt.Hash); err != nil || got.Kind != storage.TicketProxyGranting {
		t.Fatalf("get pgt = %+v %v", got, err)
	}
	s.CASTickets().DeleteForSession(ctx, "t1", "s1")
	_, err = s.CASTickets().Get(ctx, "t1", pgt.Hash)
	wantNotFound(t, "ticket of an ended session", err)
}

// testCodesWithUser: ConsumeWithUser answers as Consume, and returns the
// user of a code it consumed (as GetWithoutOrgs reads it), nil for a
// replay or a user that is gone; never another tenant's user of the same
// id.
func testCodesWithUser(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	u := newUser("t1", "lihua")
	u.Mobile, u.MobileKey = "+86-13800001111", "+8613800001111"
	u.Email, u.EmailKey = "LiHua@Example.com", "lihua@example.com"
	u.EmployeeID, u.ExternalID = "E1", "X1"
	u.FirstName, u.MiddleName, u.LastName = "Hua", "M", "Li"
	u.Profile = json.RawMessage(`{"attr_gender":"male"}`)
	u.Extension = json.RawMessage(`{"cost_center":"C-17"}`)
	u.PasswordHash, u.PwdChangedAt, u.Grade, u.Locked = "$argon2id$x", now.Add(time.Minute), 3, true
	mustUser(t, s, u)
	want, err := s.Users().GetWithoutOrgs(ctx, "t1", u.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The same id in the other tenant, another person.
	twin := newUser("t2", "twin")
	twin.ID = u.ID
	mustUser(t, s, twin)

	code := func(hash, userID string) *storage.AuthCode {
		c := &storage.AuthCode{TenantID: "t1", Hash: []byte(hash), ClientID: "c", UserID: userID, SID: "s", GrantID: "g-" + hash,
			RedirectURI: "https://app/cb", Scope: "openid", AuthTime: now, AMR: []string{"pwd"}, ACR: "1",
			CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
		if err := s.Codes().Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := code("with-user", u.ID)
	_, _, err = s.Codes().ConsumeWithUser(ctx, "t2", c.Hash, "c", now)
	wantNotFound(t, "consume from another tenant", err)
	_, _, err = s.Codes().ConsumeWithUser(ctx, "t1", c.Hash, "other-client", now)
	wantNotFound(t, "another client's code", err)
	_, _, err = s.Codes().ConsumeWithUser(ctx, "t1", []byte("nope"), "c", now)
	wantNotFound(t, "unknown code", err)

	// Concurrent exchanges: exactly one sees the code unused, with its user.
	const n = 8
	var wg sync.WaitGroup
	codes := make([]*storage.AuthCode, n)
	users := make([]*storage.User, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], users[i], errs[i] = s.Codes().ConsumeWithUser(ctx, "t1", c.Hash, "c", now.Add(time.Second))
		}()
	}
	wg.Wait()
	first := 0
	for i := range n {
		switch {
		case errs[i] != nil:
			t.Fatalf("consume: %v", errs[i])
		case codes[i].UsedAt.IsZero():
			first++
			if fmt.Sprintf("%+v", *codes[i]) != fmt.Sprintf("%+v", *c) {
				t.Fatalf("first consume = %+v\nwant %+v", codes[i], c)
			}
			if users[i] == nil || fmt.Sprintf("%+v", *users[i]) != fmt.Sprintf("%+v", *want) {
				t.Fatalf("user of the first consume = %+v\nwant %+v", users[i], want)
			}
		case !codes[i].UsedAt.Equal(now.Add(time.Second)) || codes[i].GrantID != c.GrantID || users[i] != nil:
			t.Fatalf("replay = %+v, user %+v", codes[i], users[i])
		}
	}
	if first != 1 {
		t.Fatalf("%d exchanges saw the code unused, want exactly 1", first)
	}

	// A code whose user is gone is spent all the same, without a user.
	gone := code("gone", "20200101000000000-0000-000000000")
	got, gu, err := s.Codes().ConsumeWithUser(ctx, "t1", gone.Hash, "c", now)
	if err != nil || !got.UsedAt.IsZero() || gu != nil || got.GrantID != gone.GrantID {
		t.Fatalf("code of a missing user = %+v, user %+v, %v", got, gu, err)
	}
	if got, gu, err := s.Codes().ConsumeWithUser(ctx, "t1", gone.Hash, "c", now); err != nil || got.UsedAt.IsZero() || gu != nil {
		t.Fatalf("its replay = %+v, user %+v, %v", got, gu, err)
	}
}
