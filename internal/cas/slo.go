package cas

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
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
// which a logout has just ended, in the background: each application is
// tried once (a failure is logged at warn level) and the session's
// records go either way.
func (s *Server) SingleLogout(ctx context.Context, tenantID, sid string) {
	if sid == "" {
		return
	}
	logins, err := s.Store.CASLogins().TakeForSession(ctx, tenantID, sid)
	if err != nil {
		s.Log.ErrorContext(ctx, "cas: single logout: the session's applications", "err", err)
		return
	}
	if len(logins) == 0 {
		return
	}
	list, err := s.casApps(ctx, tenantID)
	if err != nil {
		s.Log.ErrorContext(ctx, "cas: single logout: applications", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sloTimeout)
	s.sends.Add(1)
	go func() {
		defer s.sends.Done()
		defer cancel()
		for i := range logins {
			s.sendLogout(ctx, list, &logins[i])
		}
	}()
}

// WaitLogouts waits for the back-channel logout requests in flight, or
// for ctx to end (a shutdown lets them finish within its grace period).
func (s *Server) WaitLogouts(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.sends.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (s *Server) countLogout(result string) {
	if s.LogoutSent != nil {
		s.LogoutSent(result)
	}
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
	target := app.CAS.LogoutTarget(l.Service)
	body := url.Values{"logoutRequest": {logoutRequest(string(ticket), s.Now())}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		s.Log.WarnContext(ctx, "cas: single logout: bad logout URL", "application", app.ID, "err", err)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.Client.Do(req)
	if err != nil {
		s.countLogout("failed")
		s.Log.WarnContext(ctx, "cas: single logout: request failed", "application", app.ID, "url", target, "err", err)
		return
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		s.countLogout("refused")
		s.Log.WarnContext(ctx, "cas: single logout: refused", "application", app.ID, "url", target, "status", res.StatusCode)
		return
	}
	s.countLogout("ok")
}

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
