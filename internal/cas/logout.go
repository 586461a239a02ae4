package cas

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// logout is /api/v1/cas/logout?service= (CAS protocol section 2.3): it
// ends the SSO session and its tickets, tells the applications that take
// back-channel logout (OnSessionEnd, SingleLogout), sends the browser through the
// session's SAML service providers (AfterLogout), then returns to service
// when that is a registered service, else shows a signed-out page.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	t := tenant.FromContext(r.Context())
	if sess, _, err := web.CurrentUser(r, s.Sessions, s.Store, t.ID); err == nil && sess != nil {
		if err := s.Store.CASTickets().DeleteForSession(r.Context(), t.ID, sess.SID); err != nil {
			s.Log.ErrorContext(r.Context(), "cas: logout tickets", "err", err)
		}
		a := audit.Actor{Type: audit.ActorUser, ID: sess.UserID, SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}
		s.Store.Audit().Append(r.Context(), s.Audit.Event(t.ID, a, "logout", audit.Target{Type: "session", ID: sess.SID}, storage.ResultSuccess, "cas"))
	}
	sid := ""
	if ck, err := r.Cookie(web.SessionCookie); err == nil {
		sid = s.Sessions.SIDOf(r.Context(), t.ID, ck.Value)
	}
	web.EndSession(w, r, s.Sessions, t.ID, s.SecureCookies)
	s.endedSession(r.Context(), t.ID, sid)
	next := ""
	if service := r.URL.Query().Get("service"); service != "" {
		if app, err := s.appFor(r.Context(), t.ID, service); err == nil && app != nil {
			next = service
		}
	}
	if sid != "" && s.AfterLogout != nil && s.AfterLogout(w, r, t.ID, sid, next) {
		return
	}
	if next != "" {
		http.Redirect(w, r, next, http.StatusFound)
		return
	}
	s.Pages.Render(w, http.StatusOK, web.PageMessage, web.MessageView{View: web.View{Title: "Signed out", TenantName: t.Name},
		Message: "You are signed out."})
}
