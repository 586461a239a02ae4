package oidc

import (
	"context"
	"net/url"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// OpenID Connect Back-Channel Logout 1.0: an application with an
// oidc.backchannel_logout_uri that got an ID token from an SSO session is
// sent a logout token, a JWT signed as its ID tokens are, when the
// session ends by a logout (whichever protocol's). The token names the
// session (sid) and the user (sub), carries the back-channel logout event
// and never a nonce.

// backchannelEvent is the logout token's event (section 2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutTokenLifetime bounds a logout token (the RP checks exp).
const logoutTokenLifetime = 2 * time.Minute

// backchannelTimeout bounds the delivery of one session's logout tokens.
const backchannelTimeout = 30 * time.Second

// recordLogin keeps what a back-channel logout of g's session will need,
// when g's application takes back-channel logout. A failure is logged:
// the tokens are issued all the same.
func (p *Provider) recordLogin(ctx context.Context, g *grantInfo, now time.Time) {
	if g.client.app.OIDC.BackchannelLogoutURI == "" || g.sid == "" || g.user == nil {
		return
	}
	life := 24 * time.Hour
	if p.Sessions != nil && p.Sessions.Absolute > 0 {
		life = p.Sessions.Absolute
	}
	l := &storage.OIDCLogin{TenantID: g.tenantID, SID: g.sid, ApplicationID: g.client.app.ID, Subject: g.user.ID,
		CreatedAt: now, ExpiresAt: now.Add(life)}
	if err := p.Store.OIDCLogins().Create(ctx, l); err != nil {
		p.Log.ErrorContext(ctx, "oidc: recording a login for back-channel logout", "err", err, "application", l.ApplicationID)
	}
}

// BackChannelLogout sends the logout tokens of session sid, which a
// logout has just ended, in the background (Notices): each application
// is tried once, and the session's records go either way. ctx is the
// logout's request context (its tenant names the issuer). The channel is
// closed when they have been sent (nil: none to send).
func (p *Provider) BackChannelLogout(ctx context.Context, tenantID, sid string) <-chan struct{} {
	if sid == "" || p.Notices == nil {
		return nil
	}
	logins, err := p.Store.OIDCLogins().TakeForSession(ctx, tenantID, sid)
	if err != nil {
		p.Log.ErrorContext(ctx, "oidc: back-channel logout: the session's applications", "err", err)
		return nil
	}
	if len(logins) == 0 {
		return nil
	}
	t := tenant.FromContext(ctx)
	if t == nil || t.ID != tenantID {
		p.Log.ErrorContext(ctx, "oidc: back-channel logout without the tenant's request")
		return nil
	}
	iss := tenant.BaseURL(t, p.BaseURL) + "/api/v1/oauth2"
	return p.Notices.Go(ctx, backchannelTimeout, func(ctx context.Context) {
		for i := range logins {
			p.sendLogoutToken(ctx, iss, &logins[i])
		}
	})
}

// sendLogoutToken POSTs one logout token, if the application is still
// enabled and still has a back-channel logout URI.
func (p *Provider) sendLogoutToken(ctx context.Context, iss string, l *storage.OIDCLogin) {
	app, err := p.Apps.Get(ctx, l.TenantID, l.ApplicationID)
	if err != nil || app.Disabled || app.OIDC.BackchannelLogoutURI == "" {
		return
	}
	now := p.Now().Unix()
	j := newJSON(384).str("iss", iss).str("sub", l.Subject).str("aud", app.ClientID).
		num("iat", now).num("exp", now+int64(logoutTokenLifetime/time.Second)).str("jti", randomID()).
		str("sid", l.SID).raw("events", []byte(`{"`+backchannelEvent+`":{}}`))
	tok, err := p.Keys.SignTyped(ctx, l.TenantID, app.OIDC.IDTokenSignedAlg, "logout+jwt", j.done())
	if err != nil {
		p.Log.ErrorContext(ctx, "oidc: back-channel logout: signing", "err", err, "application", app.ID)
		return
	}
	p.Notices.Post(ctx, "oidc", app.OIDC.BackchannelLogoutURI, url.Values{"logout_token": {tok}}, "application", app.ID)
}
