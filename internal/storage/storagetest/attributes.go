package storagetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

func testAttributes(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	badge := &storage.AttributeDef{TenantID: "t1", ID: idgen.New(now), Entity: storage.EntityUser, Name: "badge", DisplayName: "Badge",
		Type: "string", Required: true, Unique: true, Rules: json.RawMessage(`{"max":10}`), Shown: true, CreatedAt: now, UpdatedAt: now}
	level := &storage.AttributeDef{TenantID: "t1", ID: idgen.New(now), Entity: storage.EntityUser, Name: "level", Type: "number",
		Rules: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now}
	for _, d := range []*storage.AttributeDef{badge, level} {
		if err := s.Attributes().Create(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	dup := *badge
	dup.ID = idgen.New(now)
	wantConflict(t, "same attribute name", s.Attributes().Create(ctx, &dup), "name")
	forOrgs := dup
	forOrgs.Entity = storage.EntityOrganization
	if err := s.Attributes().Create(ctx, &forOrgs); err != nil {
		t.Fatalf("same name for another entity: %v", err)
	}
	list, err := s.Attributes().List(ctx, "t1", storage.EntityUser, "")
	if err != nil || len(list) != 2 || list[0].Name != "badge" || !list[0].Required || !list[0].Unique || string(list[0].Rules) != `{"max":10}` {
		t.Fatalf("list: %+v %v", list, err)
	}
	if l, _ := s.Attributes().List(ctx, "t2", storage.EntityUser, ""); len(l) != 0 {
		t.Fatal("another tenant sees the definitions")
	}
	_, err = s.Attributes().Get(ctx, "t2", badge.ID)
	wantNotFound(t, "definition from another tenant", err)
	if _, err := s.Attributes().Update(ctx, "t1", level.ID, func(d *storage.AttributeDef) error {
		d.Required, d.UpdatedAt = true, now.Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Attributes().Get(ctx, "t1", level.ID); !d.Required {
		t.Fatal("update lost")
	}

	// Unique values: one holder per value; replacing frees the old one.
	u1 := mustUser(t, s, newUser("t1", "u1"))
	u2 := mustUser(t, s, newUser("t1", "u2"))
	defs := []string{badge.ID}
	if err := s.Attributes().SetUniqueValues(ctx, "t1", u1.ID, defs, map[string]string{badge.ID: "b-1"}); err != nil {
		t.Fatal(err)
	}
	err = s.Attributes().SetUniqueValues(ctx, "t1", u2.ID, defs, map[string]string{badge.ID: "b-1"})
	var ce *storage.ConflictError
	if !errors.As(err, &ce) || ce.Field != badge.ID {
		t.Fatalf("a taken value: %v", err)
	}
	if err := s.Attributes().SetUniqueValues(ctx, "t1", u1.ID, defs, map[string]string{badge.ID: "b-2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Attributes().SetUniqueValues(ctx, "t1", u2.ID, defs, map[string]string{badge.ID: "b-1"}); err != nil {
		t.Fatalf("a freed value: %v", err)
	}
	// Deleting the holder frees its values.
	if err := s.Users().Delete(ctx, "t1", u2.ID); err != nil {
		t.Fatal(err)
	}
	u3 := mustUser(t, s, newUser("t1", "u3"))
	if err := s.Attributes().SetUniqueValues(ctx, "t1", u3.ID, defs, map[string]string{badge.ID: "b-1"}); err != nil {
		t.Fatalf("value of a deleted user: %v", err)
	}
	// Values are per tenant.
	if err := s.Attributes().SetUniqueValues(ctx, "t2", u3.ID, defs, map[string]string{badge.ID: "b-2"}); err == nil {
		t.Fatal("a value stored for another tenant's definition")
	}
	// Deleting a definition drops its values.
	if err := s.Attributes().Delete(ctx, "t1", badge.ID); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, "delete twice", s.Attributes().Delete(ctx, "t1", badge.ID))
}
