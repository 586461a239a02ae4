package storagetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// testOrgTree builds
//
//	A (seq 2)         B (seq 1)
//	├─ A1 (seq 1)     └─ B1
//	│   └─ A1x
//	└─ A2 (seq 0)
func testOrgTree(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	ids := map[string]string{}
	mk := func(code, parent string, seq int) {
		o := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: code, Name: "n-" + code, ParentID: ids[parent],
			Category: "department", Sequence: seq, CreatedAt: now, UpdatedAt: now}
		if err := s.Orgs().Create(ctx, o); err != nil {
			t.Fatalf("create %s: %v", code, err)
		}
		ids[code] = o.ID
	}
	mk("A", "", 2)
	mk("B", "", 1)
	mk("A1", "A", 1)
	mk("A2", "A", 0)
	mk("B1", "B", 0)
	mk("A1x", "A1", 0)
	codes := func(list []storage.Organization) string {
		var out []string
		for _, o := range list {
			out = append(out, o.Code)
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		root  string
		depth int
		want  string
	}{
		{"", 1, "B A"},
		{"", 0, "B A A2 B1 A1 A1x"}, // by level, then sequence, then code
		{"A", 2, "A A2 A1"},
		{"A", 0, "A A2 A1 A1x"},
	}
	for _, c := range cases {
		root := ""
		if c.root != "" {
			root = ids[c.root]
		}
		tree, err := s.Orgs().TreeIDs(ctx, "t1", root, c.depth)
		list, err2 := s.Orgs().GetMany(ctx, "t1", tree)
		if err != nil || err2 != nil || codes(list) != c.want {
			t.Errorf("TreeIDs(%q, %d) = %q (%v, %v), want %q", c.root, c.depth, codes(list), err, err2, c.want)
		}
	}
	// GetMany keeps the order asked for and leaves out what it cannot find.
	if list, err := s.Orgs().GetMany(ctx, "t1", []string{ids["A1"], "nope", ids["B1"]}); err != nil || codes(list) != "A1 B1" {
		t.Errorf("GetMany = %q, %v", codes(list), err)
	}
	if list, _ := s.Orgs().GetMany(ctx, "t2", []string{ids["A1"]}); len(list) != 0 {
		t.Error("GetMany crosses tenants")
	}
	if tree, _ := s.Orgs().TreeIDs(ctx, "t2", "", 0); len(tree) != 0 {
		t.Error("another tenant sees the tree")
	}
	if tree, _ := s.Orgs().TreeIDs(ctx, "t2", ids["A"], 0); len(tree) != 0 {
		t.Error("another tenant walks A's subtree")
	}
	// The tree version moves with every organisation write of the tenant,
	// and only of that tenant.
	v1, err := s.Orgs().TreeVersion(ctx, "t1")
	o2, _ := s.Orgs().TreeVersion(ctx, "t2")
	if err != nil || v1 < 6 {
		t.Fatalf("tree version after six creates = %d, %v", v1, err)
	}
	if _, err := s.Orgs().Update(ctx, "t1", ids["B1"], func(o *storage.Organization) error { o.Sequence = 5; return nil }); err != nil {
		t.Fatal(err)
	}
	if v2, _ := s.Orgs().TreeVersion(ctx, "t1"); v2 <= v1 {
		t.Errorf("tree version after an update = %d, was %d", v2, v1)
	}
	if now2, _ := s.Orgs().TreeVersion(ctx, "t2"); now2 != o2 {
		t.Error("another tenant's tree version moved")
	}
	if _, err := s.Orgs().Update(ctx, "t1", ids["B1"], func(o *storage.Organization) error { o.Sequence = 0; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Orgs().TreeVersion(ctx, "nope"); err != storage.ErrNotFound {
		t.Errorf("tree version of an unknown tenant: %v", err)
	}
	sub, err := s.Orgs().Subtree(ctx, "t1", ids["A"])
	if err != nil || len(sub) != 4 || sub[0] != ids["A1x"] || sub[3] != ids["A"] {
		t.Fatalf("subtree of A (deepest first) = %v, %v", sub, err)
	}
	// AnyWithin walks up from the given organisations.
	for _, c := range []struct {
		from, roots []string
		want        bool
	}{
		{[]string{ids["A1x"]}, []string{ids["A"]}, true},
		{[]string{ids["A1x"]}, []string{ids["A1x"]}, true},
		{[]string{ids["B1"], ids["A2"]}, []string{ids["A1"], ids["B"]}, true},
		{[]string{ids["A"]}, []string{ids["A1"]}, false}, // not upwards
		{[]string{ids["B1"]}, []string{ids["A"], ids["A1x"]}, false},
		{[]string{"nope"}, []string{ids["A"]}, false},
		{nil, []string{ids["A"]}, false},
		{[]string{ids["A1x"]}, nil, false},
	} {
		if got, err := s.Orgs().AnyWithin(ctx, "t1", c.from, c.roots); err != nil || got != c.want {
			t.Errorf("AnyWithin(%v, %v) = %v, %v; want %v", c.from, c.roots, got, err, c.want)
		}
	}
	if got, _ := s.Orgs().AnyWithin(ctx, "t2", []string{ids["A1x"]}, []string{ids["A"]}); got {
		t.Error("AnyWithin crosses tenants")
	}
	// Sibling names are unique, roots included; cousins may share one.
	dup := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "X", Name: "n-A1", ParentID: ids["A"], CreatedAt: now, UpdatedAt: now}
	wantConflict(t, "sibling with the same name", s.Orgs().Create(ctx, dup), "name")
	root := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "Y", Name: "n-B", CreatedAt: now, UpdatedAt: now}
	wantConflict(t, "root with the same name", s.Orgs().Create(ctx, root), "name")
	cousin := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "Z", Name: "n-A1", ParentID: ids["B"], CreatedAt: now, UpdatedAt: now}
	if err := s.Orgs().Create(ctx, cousin); err != nil {
		t.Fatalf("cousin with the same name: %v", err)
	}
	// Update: move A2 under B; rename; the unique rules hold on update too.
	later := now.Add(time.Hour)
	if _, err := s.Orgs().Update(ctx, "t1", ids["A2"], func(o *storage.Organization) error {
		o.ParentID, o.Name, o.UpdatedAt = ids["B"], "moved", later
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Orgs().Get(ctx, "t1", ids["A2"]); o.ParentID != ids["B"] || o.Name != "moved" || !o.UpdatedAt.Equal(later) {
		t.Fatalf("after move: %+v", o)
	}
	_, err = s.Orgs().Update(ctx, "t1", ids["A2"], func(o *storage.Organization) error { o.Code = "A"; return nil })
	wantConflict(t, "update to a taken code", err, "code")
	_, err = s.Orgs().Update(ctx, "t2", ids["A2"], func(o *storage.Organization) error { return nil })
	wantNotFound(t, "update from another tenant", err)

	if ok, _ := s.Orgs().HasChildren(ctx, "t1", ids["A"]); !ok {
		t.Error("A has children")
	}
	if ok, _ := s.Orgs().HasChildren(ctx, "t1", ids["A1x"]); ok {
		t.Error("A1x has no children")
	}
	u := newUser("t1", "member")
	u.HomeOrgID = ids["A1x"]
	u.Orgs = []storage.UserOrg{{OrgID: ids["A1x"], RelationType: 0}, {OrgID: ids["B1"], RelationType: 1}}
	mustUser(t, s, u)
	if ok, _ := s.Orgs().HasMembers(ctx, "t1", []string{ids["A1"], ids["A1x"]}); !ok {
		t.Error("A1x has a member")
	}
	if ok, _ := s.Orgs().HasMembers(ctx, "t2", []string{ids["A1x"]}); ok {
		t.Error("membership seen from another tenant")
	}
	// Deleting a parent alone is refused by the schema; a whole subtree goes.
	if err := s.Orgs().Delete(ctx, "t1", []string{ids["A1"]}); err == nil {
		t.Fatal("deleted A1 while A1x still points at it")
	}
	if err := s.Orgs().Delete(ctx, "t1", []string{ids["A1x"], ids["A1"]}); err != nil {
		t.Fatalf("delete subtree: %v", err)
	}
	got, _ := s.Users().Get(ctx, "t1", u.ID)
	if got.HomeOrgID != "" || len(got.Orgs) != 1 || got.Orgs[0].OrgID != ids["B1"] {
		t.Fatalf("member after its home organisation went: home %q, orgs %+v", got.HomeOrgID, got.Orgs)
	}
	if _, err := s.Orgs().Get(ctx, "t1", ids["A1x"]); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal("deleted organisation still there")
	}
	wantNotFound(t, "delete from another tenant", s.Orgs().Delete(ctx, "t2", []string{ids["B1"]}))
}
