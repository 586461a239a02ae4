package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/backchannel"
	"github.com/gatehouse/gatehouse/internal/cas"
	"github.com/gatehouse/gatehouse/internal/oidc"
	"github.com/gatehouse/gatehouse/internal/saml"
)

// logoutWait bounds how long a logout (or a user's disabling) waits for
// its back-channel notices before it answers; slower ones go on in the
// background.
const logoutWait = 2 * time.Second

// wireLogouts makes every end of an SSO session, whichever protocol's
// logout or an administrator's change to the user, tell the applications
// that take back-channel logout (CAS logout requests, OIDC logout tokens),
// and the browser logouts also go through the session's SAML service
// providers (the front-channel round of SAML single logout).
func (s *Server) wireLogouts(app *App, op *oidc.Provider, casServer *cas.Server, samlIdP *saml.Server) {
	s.notices = &backchannel.Sender{Client: outboundClient(app.Cfg, 5*time.Second), Log: app.Log,
		Sent: func(protocol, result string) { s.metrics.logoutNotices.WithLabelValues(protocol, result).Inc() }}
	casServer.Notices, op.Notices = s.notices, s.notices
	notify := func(ctx context.Context, tenantID, sid string) []<-chan struct{} {
		return []<-chan struct{}{casServer.SingleLogout(ctx, tenantID, sid), op.BackChannelLogout(ctx, tenantID, sid)}
	}
	// A logout waits a moment for its notices, so that a browser sent back
	// to an application finds that session over too.
	sessionEnded := func(ctx context.Context, tenantID, sid string) {
		backchannel.Await(logoutWait, notify(ctx, tenantID, sid)...)
	}
	casServer.OnSessionEnd, samlIdP.OnSessionEnd = sessionEnded, sessionEnded
	// No browser when an administrator disables or deletes a user: SAML
	// service providers, told only through the browser, are not told.
	app.Users.SessionsEnded = func(ctx context.Context, tenantID string, sids []string) {
		var done []<-chan struct{}
		for _, sid := range sids {
			done = append(done, notify(ctx, tenantID, sid)...)
		}
		backchannel.Await(logoutWait, done...)
	}
	// OIDC, OneAccess and CAS logout then send the browser through the
	// session's SAML service providers before their redirect.
	op.AfterLogout = func(w http.ResponseWriter, r *http.Request, tenantID, sid, next string) bool {
		sessionEnded(r.Context(), tenantID, sid)
		return samlIdP.LogoutRound(w, r, tenantID, sid, next)
	}
	casServer.AfterLogout = samlIdP.LogoutRound
}
