package cas

import (
	"context"
	"encoding/xml"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/backchannel"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Back-channel single logout (CAS protocol section 2.3.3): when an SSO
// session ends by a logout, whichever protocol's, every CAS application
// with cas.logout_type back_channel that validated one of the session's
// service tickets gets a logoutRequest POSTed to its logout_url (or the
// ticket's service), naming the ticket as SessionIndex: the application
// keyed its own session by that ticket when it validated it.

// sloContext seals the tickets kept for logout.
const sloContext = "cas-slo"

// sloTimeout bounds the delivery of one session's logout requests.
const sloTimeout = 30 * time.Second

// recordLogin keeps what a back-channel logout of v's session will need.
func (s *Server) recordLogin(ctx context.Context, ticket string, v *validated) {
	if v.app.CAS.LogoutType != apps.CASLogoutBackChannel || v.ticket.Kind != storage.TicketService || s.Sealer == nil {
		return
	}
	now := s.Now()
	life := 24 * time.Hour
	if s.Sessions != nil && s.Sessions.Absolute > 0 {
		life = s.Sessions.Absolute
	}
	l := &storage.CASLogin{TenantID: v.ticket.TenantID, TicketHash: v.ticket.Hash, SID: v.ticket.SID, ApplicationID: v.app.ID,
		Service: v.ticket.Service, SealedTicket: s.Sealer.Seal([]byte(ticket), sloContext), CreatedAt: now, ExpiresAt: now.Add(life)}
	if err := s.Store.CASLogins().Create(ctx, l); err != nil {
		s.Log.ErrorContext(ctx, "cas: recording a login for single logout", "err", err, "application", v.app.ID)
	}
}

// SingleLogout sends the back-channel logout requests of session sid,
// which a logout has just ended, in the background (Notices): each
// application is tried once, and the session's records go either way.
// The channel is closed when they have been sent (nil: none to send).
func (s *Server) SingleLogout(ctx context.Context, tenantID, sid string) <-chan struct{} {
	if sid == "" || s.Notices == nil {
		return nil
	}
	logins, err := s.Store.CASLogins().TakeForSession(ctx, tenantID, sid)
	if err != nil {
		s.Log.ErrorContext(ctx, "cas: single logout: the session's applications", "err", err)
		return nil
	}
	if len(logins) == 0 {
		return nil
	}
	list, err := s.casApps(ctx, tenantID)
	if err != nil {
		s.Log.ErrorContext(ctx, "cas: single logout: applications", "err", err)
		return nil
	}
	return s.Notices.Go(ctx, sloTimeout, func(ctx context.Context) {
		for i := range logins {
			s.sendLogout(ctx, list, &logins[i])
		}
	})
}

// sendLogout POSTs one logout request, if the application is still
// enabled and still asks for them.
func (s *Server) sendLogout(ctx context.Context, list []*apps.App, l *storage.CASLogin) {
	var app *apps.App
	for _, a := range list {
		if a.ID == l.ApplicationID {
			app = a
		}
	}
	if app == nil || app.CAS.LogoutType != apps.CASLogoutBackChannel {
		return
	}
	ticket, err := s.Sealer.Open(l.SealedTicket, sloContext)
	if err != nil {
		s.Log.ErrorContext(ctx, "cas: single logout: a sealed ticket does not open", "err", err, "application", app.ID)
		return
	}
	s.Notices.Post(ctx, "cas", app.CAS.LogoutTarget(l.Service),
		url.Values{"logoutRequest": {logoutRequest(string(ticket), s.Now())}}, "application", app.ID)
}

// endedSession tells the applications of every protocol that session sid
// has ended (OnSessionEnd), or, unwired, this server's own.
func (s *Server) endedSession(ctx context.Context, tenantID, sid string) {
	if s.OnSessionEnd != nil {
		s.OnSessionEnd(ctx, tenantID, sid)
		return
	}
	backchannel.Await(logoutWait, s.SingleLogout(ctx, tenantID, sid))
}

// logoutWait bounds how long an unwired /logout waits for its requests.
const logoutWait = 2 * time.Second

// logoutRequest is the LogoutRequest of CAS back-channel logout (SAML 2.0
// protocol elements, unsigned, as the CAS protocol specifies them), which
// CAS clients (Apereo's Java client, phpCAS, …) read the SessionIndex of.
func logoutRequest(ticket string, now time.Time) string {
	var b strings.Builder
	b.WriteString(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="LR-`)
	b.WriteString(idgen.Alnum(24))
	b.WriteString(`" Version="2.0" IssueInstant="`)
	b.WriteString(now.UTC().Format("2006-01-02T15:04:05Z"))
	b.WriteString(`"><saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>`)
	xml.EscapeText(&b, []byte(ticket))
	b.WriteString(`</samlp:SessionIndex></samlp:LogoutRequest>`)
	return b.String()
}
