package directory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

var ctx = context.Background()

func newUsers(t *testing.T) (*directory.Users, storage.Store, map[string]string) {
	store := sqltest.Open(t, sqltest.SQLiteDSN(t))
	now := func() time.Time { return time.Now().UTC() }
	store.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "t1", CreatedAt: now()})
	orgs := map[string]string{}
	for _, code := range []string{"HQ", "RND", "OPS", "HR"} {
		o := &storage.Organization{TenantID: "t1", ID: idgen.New(now()), Code: code, Name: code, Category: "department", CreatedAt: now(), UpdatedAt: now()}
		if err := store.Orgs().Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		orgs[code] = o.ID
	}
	u := &directory.Users{Store: store, Now: now, Policy: directory.DefaultPasswordPolicy,
		Hasher: password.NewHasher(password.Params{MemoryKiB: 8192, Time: 1, Threads: 1}),
		Audit:  &audit.Recorder{Store: store, Now: now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	return u, store, orgs
}

func rels(pairs ...string) opt.Value[[]directory.OrgRelation] {
	var out []directory.OrgRelation
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, directory.OrgRelation{OrgCode: pairs[i], RelationType: pairs[i+1]})
	}
	return opt.Value[[]directory.OrgRelation]{Set: true, V: out}
}

// TestOrganisationMemberships pins how org_code and user_org_relation_list
// decide a user's home and secondary organisations.
func TestOrganisationMemberships(t *testing.T) {
	users, store, org := newUsers(t)
	a := audit.System
	n := 0
	create := func(w directory.UserWrite) (*storage.User, error) {
		n++
		w.UserName = opt.Some(fmt.Sprintf("u%02d", n))
		w.Mobile = opt.Some(fmt.Sprintf("138000000%02d", n))
		id, err := users.Create(ctx, "t1", a, &w)
		if err != nil {
			return nil, err
		}
		return store.Users().Get(ctx, "t1", id)
	}
	cases := []struct {
		name      string
		w         directory.UserWrite
		home      string
		secondary []string
		code      string
	}{
		{"nothing: the first root organisation", directory.UserWrite{}, "HQ", nil, ""},
		{"org_code alone", directory.UserWrite{OrgCode: opt.Some("RND")}, "RND", nil, ""},
		{"orgCode spelling", directory.UserWrite{OrgCodeCamel: opt.Some("OPS")}, "OPS", nil, ""},
		// OneAccess's own example marks the home organisation 1: org_code decides.
		{"org_code wins over the flag", directory.UserWrite{OrgCode: opt.Some("HQ"), UserOrgRelationList: rels("HQ", "1", "RND", "1")}, "HQ", []string{"RND"}, ""},
		{"list with a type-0 entry", directory.UserWrite{UserOrgRelationList: rels("RND", "1", "OPS", "0")}, "OPS", []string{"RND"}, ""},
		{"list without a type 0: the first", directory.UserWrite{UserOrgRelationList: rels("HR", "", "OPS", "1")}, "HR", []string{"OPS"}, ""},
		{"home missing from the list", directory.UserWrite{OrgCode: opt.Some("HQ"), UserOrgRelationList: rels("RND", "1")}, "", nil, "USER.0018"},
		{"two homes", directory.UserWrite{UserOrgRelationList: rels("RND", "0", "OPS", "0")}, "", nil, "USER.0018"},
		{"duplicate", directory.UserWrite{UserOrgRelationList: rels("RND", "0", "RND", "1")}, "", nil, "USER.0018"},
		{"bad relation type", directory.UserWrite{UserOrgRelationList: rels("RND", "2")}, "", nil, "USER.0018"},
		{"unknown organisation", directory.UserWrite{UserOrgRelationList: rels("NOPE", "0")}, "", nil, "ORG.0001"},
		{"too many", directory.UserWrite{UserOrgRelationList: rels("HQ", "0", "RND", "1", "OPS", "1", "HR", "1", "A", "1", "B", "1", "C", "1", "D", "1", "E", "1", "F", "1", "G", "1")}, "", nil, "USER.0018"},
	}
	for _, c := range cases {
		u, err := create(c.w)
		if c.code != "" {
			f, ok := failure.As(err)
			if !ok || f.Code != c.code {
				t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if u.HomeOrgID != org[c.home] {
			t.Errorf("%s: home %s, want %s", c.name, u.HomeOrgID, c.home)
		}
		var sec []string
		for _, m := range u.Orgs {
			if m.RelationType == storage.RelationHome && m.OrgID != org[c.home] {
				t.Errorf("%s: second home %s", c.name, m.OrgID)
			}
			if m.RelationType == storage.RelationSecondary {
				sec = append(sec, m.OrgID)
			}
		}
		if len(sec) != len(c.secondary) {
			t.Errorf("%s: secondary %v, want %v", c.name, sec, c.secondary)
		}
	}

	// Modify: a new org_code moves the home and keeps the secondaries.
	u, _ := create(directory.UserWrite{OrgCode: opt.Some("HQ"), UserOrgRelationList: rels("HQ", "0", "RND", "1", "OPS", "1")})
	if err := users.Update(ctx, "t1", a, u.ID, &directory.UserWrite{OrgCode: opt.Some("RND")}); err != nil {
		t.Fatal(err)
	}
	u, _ = store.Users().Get(ctx, "t1", u.ID)
	if u.HomeOrgID != org["RND"] || len(u.Orgs) != 2 {
		t.Errorf("after moving home: home %s, memberships %+v", u.HomeOrgID, u.Orgs)
	}
	// A modify that names no organisation leaves them alone.
	users.Update(ctx, "t1", a, u.ID, &directory.UserWrite{Name: opt.Some("x")})
	if v, _ := store.Users().Get(ctx, "t1", u.ID); len(v.Orgs) != 2 || v.HomeOrgID != org["RND"] {
		t.Errorf("unrelated modify changed memberships: %+v", v.Orgs)
	}
}

// TestModifyKeepsAbsentFields: a partial update writes only what was sent;
// empty strings clear optional fields; extension keys merge.
func TestModifyKeepsAbsentFields(t *testing.T) {
	users, store, _ := newUsers(t)
	w := &directory.UserWrite{UserName: opt.Some("lihua"), Mobile: opt.Some("13800001111"), Email: opt.Some("li@example.com"),
		AttrCity: opt.Some("Xi'an"), AttrGender: opt.Some("male"),
		Extension: opt.Value[map[string]json.RawMessage]{Set: true, V: map[string]json.RawMessage{"a": json.RawMessage(`"1"`), "b": json.RawMessage(`2`)}}}
	id, err := users.Create(ctx, "t1", audit.System, w)
	if err != nil {
		t.Fatal(err)
	}
	err = users.Update(ctx, "t1", audit.System, id, &directory.UserWrite{Email: opt.Some(""), AttrCity: opt.Some(""),
		Extension: opt.Value[map[string]json.RawMessage]{Set: true, V: map[string]json.RawMessage{"a": json.RawMessage(`null`), "c": json.RawMessage(`true`)}}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := store.Users().Get(ctx, "t1", id)
	if u.Email != "" || u.EmailKey != "" || u.Mobile != "13800001111" || u.UserName != "lihua" || u.Name != "lihua" {
		t.Errorf("after modify: %+v", u)
	}
	if string(u.Profile) != `{"attr_gender":"male"}` {
		t.Errorf("profile = %s", u.Profile)
	}
	if string(u.Extension) != `{"b":2,"c":true}` {
		t.Errorf("extension = %s", u.Extension)
	}
	// The cleared e-mail is free again.
	if _, err := users.Create(ctx, "t1", audit.System, &directory.UserWrite{UserName: opt.Some("other"), Mobile: opt.Some("13800002222"), Email: opt.Some("LI@example.com")}); err != nil {
		t.Errorf("cleared e-mail still taken: %v", err)
	}
	// A failed modify changes nothing.
	err = users.Update(ctx, "t1", audit.System, id, &directory.UserWrite{Name: opt.Some("New"), Email: opt.Some("li@example.com")})
	if f, ok := failure.As(err); !ok || f.Code != "USER.0008" {
		t.Fatalf("modify to a taken e-mail: %v", err)
	}
	if u, _ := store.Users().Get(ctx, "t1", id); u.Name != "lihua" {
		t.Errorf("failed modify changed name to %q", u.Name)
	}
}

func TestPasswordPolicy(t *testing.T) {
	p := directory.DefaultPasswordPolicy
	for pw, ok := range map[string]bool{
		"Xk9#pq2!vb": true, "short1A": false, "alllowercase": false, "lower1234": false, "Lower1234": true,
		"密码Passw0rd": true, "lihua#Pass1": false /* contains the user name */, string(make([]byte, 200)): false,
	} {
		if got := p.Check("password", pw, "lihua") == nil; got != ok {
			t.Errorf("Check(%q) ok = %v, want %v", pw, got, ok)
		}
	}
}

func TestChangePassword(t *testing.T) {
	users, _, _ := newUsers(t)
	id, _ := users.Create(ctx, "t1", audit.System, &directory.UserWrite{UserName: opt.Some("u"), Mobile: opt.Some("13800001111"), Password: opt.Some("Old#Passw0rd")})
	if err := users.ChangePassword(ctx, "t1", audit.System, id, "Old#Passw0rd", "New#Passw0rd"); err != nil {
		t.Fatal(err)
	}
	// The old password no longer works; the new one does.
	err := users.ChangePassword(ctx, "t1", audit.System, id, "Old#Passw0rd", "Third#Passw0rd")
	if f, ok := failure.As(err); !ok || f.Code != "USER.0044" {
		t.Fatalf("old password accepted after change: %v", err)
	}
	err = users.ChangePassword(ctx, "t1", audit.System, id, "New#Passw0rd", "New#Passw0rd")
	if f, ok := failure.As(err); !ok || f.Code != "USER.0022" {
		t.Fatalf("unchanged password: %v", err)
	}
}
