package apps

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// TestBackchannelLogoutSettings: off by default; a URL is checked and
// named in the error.
func TestBackchannelLogoutSettings(t *testing.T) {
	ctx := context.Background()
	r, _, _ := testRegistry(t, sqltest.SQLiteDSN(t), nil)
	app, err := r.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"A","protocol":"oidc","oidc":{"redirect_uris":["https://a.example.com/cb"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if app.OIDC.BackchannelLogoutURI != "" || app.OIDC.BackchannelLogoutSessionRequired {
		t.Fatalf("defaults = %+v", app.OIDC)
	}
	got, err := r.Update(ctx, "t1", audit.System, app.ID, appWrite(t, `{"oidc":{"backchannel_logout_uri":"https://a.example.com/bcl?x=1","backchannel_logout_session_required":true}}`))
	if err != nil || got.OIDC.BackchannelLogoutURI != "https://a.example.com/bcl?x=1" || !got.OIDC.BackchannelLogoutSessionRequired {
		t.Fatalf("after the update = %+v, %v", got, err)
	}
	got, _ = r.Update(ctx, "t1", audit.System, app.ID, appWrite(t, `{"oidc":{"backchannel_logout_session_required":null}}`))
	if !got.OIDC.BackchannelLogoutSessionRequired {
		t.Fatal("null changed backchannel_logout_session_required")
	}
	const msg = "The oidc.backchannel_logout_uri must be an absolute http or https URL without user info or fragment, at most 2048 characters."
	for _, uri := range []string{"/bcl", "javascript:alert(1)", "https://a.example.com/bcl#f", "https://u@a.example.com/bcl"} {
		_, err := r.Update(ctx, "t1", audit.System, app.ID, appWrite(t, `{"oidc":{"backchannel_logout_uri":"`+uri+`"}}`))
		wantFailure(t, uri, err, "APP.0068", msg)
	}
}
