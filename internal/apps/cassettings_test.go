package apps

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// TestCASLogoutSettings: back-channel logout is off by default, goes to
// the ticket's service unless a logout_url is set, and bad values are
// refused naming the field.
func TestCASLogoutSettings(t *testing.T) {
	ctx := context.Background()
	r, _, _ := testRegistry(t, sqltest.SQLiteDSN(t), nil)
	app, err := r.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"A","protocol":"cas","cas":{"service_patterns":["https://a.example.com/*"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if app.CAS.LogoutType != CASLogoutNone || app.CAS.LogoutURL != "" || app.CAS.LogoutTarget("https://a.example.com/x") != "https://a.example.com/x" {
		t.Fatalf("defaults = %+v", app.CAS)
	}
	got, err := r.Update(ctx, "t1", audit.System, app.ID, appWrite(t, `{"cas":{"logout_type":"back_channel","logout_url":"https://a.example.com/slo"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.CAS.LogoutType != CASLogoutBackChannel || got.CAS.LogoutTarget("https://a.example.com/x") != "https://a.example.com/slo" || got.CAS.TicketLifetime != 30 {
		t.Fatalf("after the update = %+v", got.CAS)
	}
	got, _ = r.Update(ctx, "t1", audit.System, app.ID, appWrite(t, `{"cas":{"logout_url":null}}`))
	if got.CAS.LogoutType != CASLogoutBackChannel || got.CAS.LogoutURL != "" {
		t.Fatalf("logout_url null = %+v", got.CAS)
	}
	const badURL = "The cas.logout_url must be an absolute http or https URL without user info or fragment, at most 2048 characters."
	for _, tc := range []struct{ body, code, msg string }{
		{`{"cas":{"logout_type":"front_channel"}}`, "APP.0066", "The cas.logout_type must be none or back_channel."},
		{`{"cas":{"logout_type":null}}`, "APP.0066", "The cas.logout_type must be none or back_channel."},
		{`{"cas":{"logout_url":"/slo"}}`, "APP.0067", badURL},
		{`{"cas":{"logout_url":"ftp://a.example.com/slo"}}`, "APP.0067", badURL},
		{`{"cas":{"logout_url":"https://u:p@a.example.com/slo"}}`, "APP.0067", badURL},
		{`{"cas":{"logout_url":"https://a.example.com/slo#x"}}`, "APP.0067", badURL},
	} {
		_, err := r.Update(ctx, "t1", audit.System, app.ID, appWrite(t, tc.body))
		wantFailure(t, tc.body, err, tc.code, tc.msg)
	}
}
