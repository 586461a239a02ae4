package objmodel_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/objmodel"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

var ctx = context.Background()

func setup(t *testing.T) (*objmodel.Service, storage.Store) {
	store := sqltest.Open(t, sqltest.SQLiteDSN(t))
	now := func() time.Time { return time.Now().UTC() }
	store.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "t1", CreatedAt: now()})
	return &objmodel.Service{Store: store, Now: now,
		Audit: &audit.Recorder{Store: store, Now: now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}, store
}

func def(t *testing.T, s *objmodel.Service, name, typ string, mod func(w *objmodel.DefWrite)) {
	t.Helper()
	w := &objmodel.DefWrite{Entity: opt.Some(storage.EntityUser), Name: opt.Some(name), Type: opt.Some(typ)}
	if mod != nil {
		mod(w)
	}
	if _, err := s.Create(ctx, "t1", audit.System, w); err != nil {
		t.Fatalf("define %s: %v", name, err)
	}
}

func num(f float64) *float64 { return &f }

func code(err error) string {
	if f, ok := failure.As(err); ok {
		return f.Code
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return ""
}

func TestValues(t *testing.T) {
	s, store := setup(t)
	check := func(ext string, sent []string) (string, error) {
		var out json.RawMessage
		err := store.InTx(ctx, func(tx storage.Repos) error {
			var err error
			out, err = objmodel.Check(ctx, tx, "t1", storage.EntityUser, "", idgen.New(time.Now()), json.RawMessage(ext), sent)
			return err
		})
		return string(out), err
	}
	// No definitions: anything goes.
	if out, err := check(`{"free":"form"}`, nil); err != nil || out != `{"free":"form"}` {
		t.Fatalf("without definitions: %s %v", out, err)
	}
	def(t, s, "s", "string", func(w *objmodel.DefWrite) {
		w.Rules = opt.Value[objmodel.Rules]{Set: true, V: objmodel.Rules{Min: num(2), Max: num(4), Pattern: "^[a-z]+$"}}
	})
	def(t, s, "n", "number", func(w *objmodel.DefWrite) {
		w.Rules = opt.Value[objmodel.Rules]{Set: true, V: objmodel.Rules{Min: num(0), Max: num(9), Default: json.RawMessage(`5`)}}
	})
	def(t, s, "b", "boolean", nil)
	def(t, s, "d", "date", nil)
	def(t, s, "e", "enum", func(w *objmodel.DefWrite) {
		w.Rules = opt.Value[objmodel.Rules]{Set: true, V: objmodel.Rules{Values: []string{"red", "blue"}}}
	})
	def(t, s, "m", "email", nil)
	def(t, s, "p", "phone", nil)
	def(t, s, "r", "string", func(w *objmodel.DefWrite) { w.Required = opt.Bool{Set: true, V: true} })
	cases := []struct {
		ext  string
		want string // "" = accepted
	}{
		{`{"r":"x"}`, ""},
		{`{}`, "USER.0019"}, // r is required
		{`{"r":"x","s":"abc"}`, ""},
		{`{"r":"x","s":"a"}`, "USER.0019"},
		{`{"r":"x","s":"abcde"}`, "USER.0019"},
		{`{"r":"x","s":"ABC"}`, "USER.0019"},
		{`{"r":"x","n":3}`, ""},
		{`{"r":"x","n":"3"}`, ""},
		{`{"r":"x","n":10}`, "USER.0019"},
		{`{"r":"x","n":"x"}`, "USER.0019"},
		{`{"r":"x","b":true}`, ""},
		{`{"r":"x","b":"false"}`, ""},
		{`{"r":"x","b":1}`, "USER.0019"},
		{`{"r":"x","d":"2024-02-29"}`, ""},
		{`{"r":"x","d":"2023-02-29"}`, "USER.0019"},
		{`{"r":"x","e":"red"}`, ""},
		{`{"r":"x","e":"green"}`, "USER.0019"},
		{`{"r":"x","m":"a@b.example"}`, ""},
		{`{"r":"x","m":"nope"}`, "USER.0019"},
		{`{"r":"x","p":"+86-138 0000 1111"}`, ""},
		{`{"r":"x","p":"call me"}`, "USER.0019"},
		{`{"r":"x","unknown":1}`, "USER.0019"},
		{`{"r":{"nested":1}}`, "USER.0019"},
	}
	for _, c := range cases {
		out, err := check(c.ext, nil)
		if got := code(err); got != c.want {
			t.Errorf("%s: %q (%s), want %q", c.ext, got, err, c.want)
		}
		if err == nil && c.want == "" {
			var m map[string]any
			json.Unmarshal([]byte(out), &m)
			if m["n"] == nil {
				t.Errorf("%s: the default of n was not applied: %s", c.ext, out)
			}
		}
	}
	// On update only what was sent is checked: a value stored before a
	// rule changed, and a required attribute never set, do not block.
	if _, err := check(`{"old":"stored before definitions"}`, []string{"s"}); err != nil {
		t.Errorf("update leaving an old key alone: %v", err)
	}
	if _, err := check(`{"r":null}`, []string{"r"}); code(err) != "USER.0019" {
		t.Errorf("clearing a required attribute: %v", err)
	}
}

func TestUniqueValues(t *testing.T) {
	s, store := setup(t)
	def(t, s, "badge", "email", func(w *objmodel.DefWrite) { w.Unique = opt.Bool{Set: true, V: true} })
	set := func(entity, v string, sent []string) error {
		return store.InTx(ctx, func(tx storage.Repos) error {
			_, err := objmodel.Check(ctx, tx, "t1", storage.EntityUser, "", entity, json.RawMessage(`{"badge":`+v+`}`), sent)
			return err
		})
	}
	if err := set("u1", `"A@x.example"`, nil); err != nil {
		t.Fatal(err)
	}
	if err := set("u2", `"a@X.example"`, nil); code(err) != "USER.0040" {
		t.Fatalf("the same e-mail in another case: %v", err)
	}
	if err := set("u1", `"b@x.example"`, []string{"badge"}); err != nil {
		t.Fatal(err)
	}
	if err := set("u2", `"a@x.example"`, nil); err != nil {
		t.Fatalf("a value given up: %v", err)
	}
}

func TestDefinitionRules(t *testing.T) {
	s, _ := setup(t)
	bad := []struct {
		w    objmodel.DefWrite
		code string
	}{
		{objmodel.DefWrite{Entity: opt.Some("robot"), Name: opt.Some("x"), Type: opt.Some("string")}, "ATTR.0005"},
		{objmodel.DefWrite{Entity: opt.Some("user"), Name: opt.Some("1x"), Type: opt.Some("string")}, "ATTR.0002"},
		{objmodel.DefWrite{Entity: opt.Some("user"), Name: opt.Some("x"), Type: opt.Some("blob")}, "ATTR.0004"},
		{objmodel.DefWrite{Entity: opt.Some("user"), Name: opt.Some("x"), Type: opt.Some("enum")}, "ATTR.0006"},
		{objmodel.DefWrite{Entity: opt.Some("user"), Name: opt.Some("x"), Type: opt.Some("string"),
			Rules: opt.Value[objmodel.Rules]{Set: true, V: objmodel.Rules{Pattern: "("}}}, "ATTR.0006"},
		{objmodel.DefWrite{Entity: opt.Some("user"), Name: opt.Some("x"), Type: opt.Some("number"),
			Rules: opt.Value[objmodel.Rules]{Set: true, V: objmodel.Rules{Min: num(5), Max: num(1)}}}, "ATTR.0006"},
		{objmodel.DefWrite{Entity: opt.Some("user"), Name: opt.Some("x"), Type: opt.Some("number"),
			Rules: opt.Value[objmodel.Rules]{Set: true, V: objmodel.Rules{Default: json.RawMessage(`"no"`)}}}, "ATTR.0006"},
		{objmodel.DefWrite{Entity: opt.Some("app_account"), Name: opt.Some("x"), Type: opt.Some("string")}, "ATTR.0007"},
		{objmodel.DefWrite{Entity: opt.Some("app_account"), ApplicationID: opt.Some("nope"), Name: opt.Some("x"), Type: opt.Some("string")}, "ATTR.0007"},
	}
	for _, c := range bad {
		if _, err := s.Create(ctx, "t1", audit.System, &c.w); code(err) != c.code {
			t.Errorf("%+v: %v, want %s", c.w, err, c.code)
		}
	}
	def(t, s, "x", "string", nil)
	if _, err := s.Create(ctx, "t1", audit.System, &objmodel.DefWrite{Entity: opt.Some("user"), Name: opt.Some("x"), Type: opt.Some("number")}); code(err) != "ATTR.0003" {
		t.Errorf("a second x: %v", err)
	}
	list, _ := s.List(ctx, "t1", "user", "")
	if _, err := s.Update(ctx, "t1", audit.System, list[0].ID, &objmodel.DefWrite{Type: opt.Some("number")}); code(err) != "ATTR.0008" {
		t.Errorf("changing the type: %v", err)
	}
	if _, err := s.Update(ctx, "t1", audit.System, list[0].ID, &objmodel.DefWrite{Unique: opt.Bool{Set: true, V: true}}); code(err) != "ATTR.0010" {
		t.Errorf("making an attribute unique later: %v", err)
	}
	if err := s.Delete(ctx, "t1", audit.System, "nope"); code(err) != "ATTR.0001" {
		t.Errorf("deleting an unknown definition: %v", err)
	}
}
