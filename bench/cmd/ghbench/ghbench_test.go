package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// These tests are cheap (well under a second): they check the harness on
// a tiny directory. The measurements themselves run only through the
// ghbench command.

func TestSeedIsResumableAndListable(t *testing.T) {
	ctx := context.Background()
	c := &common{db: sqltest.SQLiteDSN(t), secretKey: defaultSecretKey}
	app, err := openApp(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	sh := shape{users: 250, divisions: 3, depts: 7, projects: 2}
	orgs, err := seedOrgs(ctx, app.Store, sh, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// A first, interrupted seed: 100 of the users.
	if n, err := seedUsers(ctx, app.Store, orgs, 100, 40, 1, io.Discard); err != nil || n != 100 {
		t.Fatalf("first seed: made %d, %v; want 100", n, err)
	}
	// Resuming makes the rest and skips whole batches already there.
	again, err := seedOrgs(ctx, app.Store, sh, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if again.depts[6] != orgs.depts[6] || again.projects[1] != orgs.projects[1] {
		t.Fatal("second seedOrgs made new organisations")
	}
	if n, err := seedUsers(ctx, app.Store, orgs, sh.users, 40, 2, io.Discard); err != nil || n != 150 {
		t.Fatalf("resumed seed: made %d, %v; want 150 (users 100-249, 100-119 in the partial batch 80-119)", n, err)
	}
	if err := afterSeed(ctx, app.Store, true, io.Discard); err != nil {
		t.Fatal(err)
	}

	_, total, err := app.Store.Users().List(ctx, storage.DefaultTenantID, storage.UserFilter{Limit: 10})
	if err != nil || total != sh.users {
		t.Fatalf("list: total %d, %v; want %d", total, err, sh.users)
	}
	members := 0
	for _, id := range orgs.depts {
		_, n, err := app.Store.Users().List(ctx, storage.DefaultTenantID, storage.UserFilter{OrgID: id, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		members += n
	}
	if members != sh.users {
		t.Errorf("departments hold %d home members, want %d", members, sh.users)
	}
	_, inProject, err := app.Store.Users().List(ctx, storage.DefaultTenantID, storage.UserFilter{OrgID: orgs.projects[0], Limit: 10})
	if err != nil || inProject != 13 { // users 0, 20, 40, ..., 240
		t.Errorf("project 0 has %d members, %v; want 13", inProject, err)
	}

	// Seeded users are what the directory service would have stored.
	u, err := app.Users.GetByUserName(ctx, storage.DefaultTenantID, seededUserName(120))
	if err != nil {
		t.Fatal(err)
	}
	if u.MobileKey == "" || u.MobileKey != directory.MobileKey(u.Mobile) || u.EmailKey != directory.EmailKey(u.Email) ||
		u.HomeOrgID == "" || len(u.Orgs) != 2 || !u.CreatedAt.Equal(createdAt(120)) || u.UpdatedAt.Before(u.CreatedAt) {
		t.Errorf("seeded user 120 = %+v", u)
	}
}

func TestSeededUsersAreUniqueAndValid(t *testing.T) {
	orgs := &orgIDs{depts: []string{"d0", "d1"}, projects: []string{"p0"}}
	seen := map[string]bool{}
	for _, i := range []int{0, 1, 9, 10, 999_999, 1_000_000, 123_456_789, 1_999_999_999} {
		u := seededUser(i, orgs)
		for _, k := range []string{"n:" + u.UserNameKey, "m:" + u.MobileKey, "e:" + u.EmailKey, "id:" + u.EmployeeID} {
			if seen[k] {
				t.Errorf("user %d repeats %s", i, k)
			}
			seen[k] = true
		}
		if u.MobileKey == "" {
			t.Errorf("user %d: mobile %q is not valid", i, u.Mobile)
		}
		if u.UpdatedAt.Sub(u.CreatedAt) > maxUpdateDelay || u.UpdatedAt.Before(u.CreatedAt) {
			t.Errorf("user %d: updated %v, created %v", i, u.UpdatedAt, u.CreatedAt)
		}
	}
}

func TestRunLoadCountsAndPercentiles(t *testing.T) {
	calls := 0
	s := runLoad(context.Background(), loadSpec{name: "t", conc: 1, dur: time.Second, maxReqs: 20},
		func(ctx context.Context, w, seq int) error {
			calls++
			if seq%10 == 9 {
				return errors.New("boom")
			}
			return nil
		})
	if s.n+s.errs != 20 || s.errs != 2 || s.firstErr != "boom" || calls != 20 {
		t.Errorf("n=%d errs=%d first=%q calls=%d; want 18 ok, 2 errors", s.n, s.errs, s.firstErr, calls)
	}
	lat := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for p, want := range map[float64]time.Duration{50: 5, 90: 9, 99: 10, 100: 10, 0: 1} {
		if got := percentile(lat, p); got != want {
			t.Errorf("percentile %v = %v, want %v", p, got, want)
		}
	}
}

func TestReadyStartupMS(t *testing.T) {
	log := `{"level":"INFO","msg":"database migrated"}` + "\n" +
		`{"time":"x","level":"INFO","msg":"gatehouse ready","addr":"127.0.0.1:1","startup_ms":3.25}` + "\n"
	if d, ok := readyStartupMS(log); !ok || d != 3250*time.Microsecond {
		t.Errorf("readyStartupMS = %v, %v", d, ok)
	}
}
