package apps

import (
	"context"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// TestLoginSettings: the "login" object defaults to today's behaviour,
// keeps omitted fields on modify and names the field it refuses.
func TestLoginSettings(t *testing.T) {
	ctx := context.Background()
	r, _, _ := testRegistry(t, sqltest.SQLiteDSN(t), nil)
	app, err := r.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"A","protocol":"cas","cas":{"service_patterns":["https://a.example.com/*"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if l := Login(&app.Application); l.MFA != "off" || !slices.Equal(l.Methods, []string{"password"}) {
		t.Fatalf("defaults = %+v", l)
	}
	got, err := r.Update(ctx, "t1", audit.System, app.ID, appWrite(t, `{"login":{"mfa":"required"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if l := Login(&got.Application); l.MFA != "required" || !slices.Equal(l.Methods, []string{"password"}) {
		t.Fatalf("after mfa required = %+v", l)
	}
	got, _ = r.Update(ctx, "t1", audit.System, app.ID, appWrite(t, `{"login":{"methods":["password","password"]},"name":"B"}`))
	if l := Login(&got.Application); l.MFA != "required" || !slices.Equal(l.Methods, []string{"password"}) {
		t.Fatalf("methods only = %+v", l)
	}
	for _, tc := range []struct{ body, code, msg string }{
		{`{"login":{"mfa":"sometimes"}}`, "APP.0064", "The login.mfa must be off or required."},
		{`{"login":{"mfa":""}}`, "APP.0064", "The login.mfa must be off or required."},
		{`{"login":{"methods":[]}}`, "APP.0065", "The login.methods must name at least one method: password."},
		{`{"login":{"methods":null}}`, "APP.0065", "The login.methods must name at least one method: password."},
		{`{"login":{"methods":["passkey"]}}`, "APP.0065", "The login.methods may contain only password."},
	} {
		_, err := r.Update(ctx, "t1", audit.System, app.ID, appWrite(t, tc.body))
		wantFailure(t, tc.body, err, tc.code, tc.msg)
	}
	// A create with a bad login object is refused too.
	_, err = r.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"C","protocol":"oidc","login":{"mfa":"yes"}}`))
	wantFailure(t, "register", err, "APP.0064", "The login.mfa must be off or required.")
}
